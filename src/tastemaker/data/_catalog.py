"""The built-in named datasets: what they are, where their files come from, their terms.

Only data lives here, so the registry knows every dataset without importing the readers:
each spec names its loader as ``"module:function"``, imported on first load (see
:class:`~tastemaker.data.DatasetSpec`). ``import tastemaker.data`` stays light.
"""

from __future__ import annotations

from tastemaker.data._spec import DatasetSpec, RemoteFile, remote_files

__all__ = ["SPECS"]


# -- MovieLens (read by _movielens.py) -----------------------------------------------
ML100K_URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
ML_LATEST_SMALL_URL = "https://files.grouplens.org/datasets/movielens/ml-latest-small.zip"

_ML_LICENSE_100K = (
    "Research use only. No endorsement by the University of Minnesota or GroupLens may be "
    "implied; acknowledge the data set in publications; no redistribution without separate "
    "permission; no commercial or revenue-bearing use without permission (dataset README)."
)
_ML_LICENSE_LATEST = (
    "Research use only. No endorsement by the University of Minnesota or GroupLens may be "
    "implied; acknowledge the data set in publications; redistribution allowed under the "
    "same conditions; no commercial or revenue-bearing use without permission (README.txt)."
)
_ML_CITATION = (
    "F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: History and "
    "Context. ACM Transactions on Interactive Intelligent Systems (TiiS) 5, 4, Article 19. "
    "https://doi.org/10.1145/2827872"
)

_ML100K_FILES = {
    "u.data": ("06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490", True),
    "u.item": ("553841ebc7de3a0fd0d6b62a204ea30c1e651aacfb2814c7a6584ac52f2c5701", True),
    "u.user": ("f120e114da2e8cf314fd28f99417c94ae9ddf1cb6db8ce0e4b5995d40e90e62c", True),
    "u.genre": ("9757e0d3e6b298159a80dd48eaf938114690e911e39af97a76949ef1663610bb", True),
    "u.occupation": ("cd5fbec9afe345d993a62fc7817df1a4a9079c4feb267b3118763b8fd942137d", False),
    "u.info": ("5b0a40b2e47a729ee6203063f6dcf8790c2e63f5a18663e6ee318a72c5f3c27b", False),
    "u1.base": ("ce253ec86c448b44fb3ba9a30d12dcfc2e9210cbde71efada3730c22e9ac212a", False),
    "u1.test": ("18c6014a4b2c7324f250a63f8904a7b16b2b19f911129e346141507b0cbac950", False),
    "u2.base": ("6c06f0b5df4b256da1a994f3ac66edc8da4d3f09bc9282df6b14d893366d703e", False),
    "u2.test": ("4de658d1e04ed9104629509a2e2528fce833ac8e048280183f1df167632038c3", False),
    "u3.base": ("afdc155c291c6edc41c0407e39d7462eb98d341e064f0b0a12175b80b3c4af5d", False),
    "u3.test": ("0f548b51c78327de4c156461d3e430b7e5579fe2b5681586a59416e48fd35f6d", False),
    "u4.base": ("219f0f4d40dfe9c5141d425f53fa91ee23ed275f14e280bbf1b50117afb064ca", False),
    "u4.test": ("7c02ad0a1e7ab1083c8b9d4b627203a051dd7b5eab46d99fa44de33470de8db9", False),
    "u5.base": ("a9574e59ce961eec2121627760b6e9b0974ce1637b3fe69ac32cb14a4bfab485", False),
    "u5.test": ("351cc52e0d15b6c721466276fc24671d40936899e3d01fadeaf312915b8c5634", False),
    "ua.base": ("67b5bcdb380c29f85d56a012ecd88612ae020f30a6730d117a334ee8203b91f2", False),
    "ua.test": ("d0497e202417720f57a184ec8c66be2d1afa4ff41bb53787c57b28d6bf79bc42", False),
    "ub.base": ("237254d253b6ad7de84f919d041055428646254f34ed8f562703c899430cd881", False),
    "ub.test": ("d54a72d05730d5892062734b2bec73e976f9b713d18c828a18b968d6cce442da", False),
}

_ML_LATEST_SMALL_FILES = {
    "ratings.csv": ("aa289ca83157595d0df6aea1be6a4ded676ddc4385472e8313a8ed9805352646", True),
    "movies.csv": ("5a5f32dd9bb3797b8e728a1b98958789d2b13f294a69fdfbc5727f8a9611aa07", True),
    "tags.csv": ("92a9f8bb7916dceef6151209845788c3643f794dfa79d1feaec7121b5960399d", False),
    "links.csv": ("97ad18e4e56a09363c65676b6cb3482ce3e2cea2372a24620c1599c843325f31", False),
}


MOVIELENS: list[DatasetSpec] = [
    DatasetSpec(
        name="ml-100k",
        description=(
            "MovieLens 100K: 100,000 movie ratings (1-5 stars, timestamped) by 943 users on "
            "1,682 movies; user demographics, movie genres; official folds u1-u5, ua, ub."
        ),
        loader="tastemaker.data._movielens:load_ml100k",
        files=remote_files(ML100K_URL, _ML100K_FILES, top="ml-100k/"),
        homepage="https://grouplens.org/datasets/movielens/100k/",
        license=_ML_LICENSE_100K,
        citation=_ML_CITATION,
    ),
    DatasetSpec(
        name="ml-latest-small",
        description=(
            "MovieLens latest-small (2018): 100,836 ratings (0.5-5 stars, timestamped) by 610 "
            "users; 9,742 movies with genres, user tags and IMDb/TMDb ids."
        ),
        loader="tastemaker.data._movielens:load_ml_latest_small",
        files=remote_files(ML_LATEST_SMALL_URL, _ML_LATEST_SMALL_FILES, top="ml-latest-small/"),
        homepage="https://grouplens.org/datasets/movielens/latest/",
        license=_ML_LICENSE_LATEST,
        citation=_ML_CITATION,
    ),
]


# -- Last.fm (read by _lastfm.py) ----------------------------------------------------
LASTFM_2K_URL = "https://files.grouplens.org/datasets/hetrec2011/hetrec2011-lastfm-2k.zip"

_LASTFM_FILES = {
    "user_artists.dat": ("001400dc3c7d2667fca6e4ea6dc6acc31a9dd28ad5cd0f74cea988c019934d3b", True),
    "artists.dat": ("c173881362c6b28551368fecb3c0be5a6a30a6cd859e1f5775413dfe46d48648", True),
    "tags.dat": ("e95175f259be4c0c47644ae23d66131cd6d5767142a1405000e79f5584691d70", False),
    "user_taggedartists.dat": (
        "d31fe938fcfeed6f0059f37a36b156f63674d073fc2553e5cc9dc1595e365bc7",
        False,
    ),
    "user_friends.dat": (
        "9a3a8f7fa5f5ec832335e5b58ed69a4cf27c6f6f6afcde62134810eea46445a7",
        False,
    ),
}

LASTFM: list[DatasetSpec] = [
    DatasetSpec(
        name="lastfm-2k",
        description=(
            "HetRec 2011 Last.fm 2K: 92,834 user-artist play counts (implicit, no timestamps) "
            "by 1,892 users on 17,632 artists; artist tags with dates, a friend graph."
        ),
        loader="tastemaker.data._lastfm:load_lastfm_2k",
        files=remote_files(LASTFM_2K_URL, _LASTFM_FILES),
        aliases=("hetrec2011-lastfm-2k",),
        homepage="https://grouplens.org/datasets/hetrec-2011/",
        license=(
            "Non-commercial use only; for commercial use contact Last.fm staff (readme.txt). "
            "Cite the Last.fm website (http://www.lastfm.com) and the HetRec 2011 workshop."
        ),
        citation=(
            "Iván Cantador, Peter Brusilovsky, Tsvi Kuflik. 2011. 2nd Workshop on Information "
            "Heterogeneity and Fusion in Recommender Systems (HetRec 2011). In Proceedings of "
            "the 5th ACM Conference on Recommender Systems (RecSys 2011). ACM."
        ),
        options={"max_tags": 10},
    ),
]


# -- News (read by _news.py) ---------------------------------------------------------
# sha256 of clicks/clicks_hour_000.csv.gz ... clicks_hour_167.csv.gz, in hour order
_GLOBO_SHA256 = """
a7f3ec7b9fb44d01fb70e9949e12a368e49991b463ad03db65604a7b04b40d4d
c346b68402baab1262823cdd328bee3995a5f72c0b5345547c42f8443e217e87
cc6e18c47447e65dc518d533f7cdb9cb11d0bc564c4abbfec6aad0c26ab43290
cafd5520763cfb5c2a13bd078fd7085bd3afe369579f2f37242387782963249f
edf995a76d6e1221b0e8e4d8cd1e5bec398193915c97a34acd2c1be36530577b
9b9b3a118a57566bf5611bd73e05820849c095f29a954e9155bb11ebd138486b
93e99a332c384dd9d073e146c65649d36e8e8bc451abf320e8293094a2e423d6
e6ff0e3f85b03e155c26250c0102ad3f16b8f771168f90754c3947fd6b396725
63eb9bd06f4e999e58611b4c111403edc574e12d4e2e5d9f4c958683c10e4096
08a92a4802a3c8a16444d98a7e175eb2d7f8d872e2c9f0ffadb392f506b1ad83
b0bbe5dbdc32ebf867194bbe42a61175c92684562efc0956ad90327d9fea0119
e22231731fb243e183e0003c5b9e9a89cd4c15b2b6bfc97d28d03c7de7ae57f4
fe585545f7b7ac0e74f30bd8e75f8edab57523ef8f671933eb83cb78e73d8b86
ee306e0242865edf7be80e4ae372aead8a7c7769c217555712812fde1443b08c
59b3817ac372ae4edf63cf165c2d0f565d6b04b1e125158f556eea9ef95ddb5f
e5e747d436523f39ea7e68e4620cf1e58f5fa0b2295eb413a71aa7da0cf9a21a
b1fd8e29a77c8b6b7b20f74902d9326868281836c07f98ea0904cf9285f0e006
f740996280b7543b0b325040c51392800e864ba095690bf3b302be040f15846a
237bc6609024d81f9955ce3ac2b1284d4d9efb8792eea26d2331b8a9c4a39407
86995931b15f66e08b216a0c0129f3ffb9acba3d985133bb33522f6add73a2f2
fb0ec244ed6a6c29d3a74bb4df27b653053b62b362fd94c1d7cfcc79626bf9eb
6634f919fc31a4df11e8fb471da7a9a537234d1200667064ee0ea6f3138ded3d
881ec9ef136957c0c4f023f9e0dccc1bff2444197cef8b64850f5a85930c38ed
b95a8391470441c56eab95da42064a8da1fd37e2c447de6eb6020a33bd7e2328
b39982032dd44864c9db6ddcb3571b03781bf0873a19699489185422310a7b46
c41e7cd0a415817a060eb178d81734e4c82dd1a59b3acb93e6eb11f56c33d257
47d031160fd73420f1ed6b979c3ff20ce23a43b5c1b1bac71a1e7bd7ba80253f
adecaa566dfa0f935b0c4c5ca4db8d5a04e2a00e46328d76f3e72338eaa252da
cda3150620777efca8a477f5fe03e66097626e0923d0c9d015c0a3392eeeb7d8
b058200ce180c8afcf87991ad24c1f044551111b19d6460556afac5bcb12b0b3
b5b13155dd7b93e1931a618dd776b1db67882278407deab2ea032b90427ea984
f869ce610df2222279af9625989a2ece65e02ba9317f94ac549fd7203f29a2e4
2b679b0199215000565fe5754a2e0ca2fea1dacc5c659e5ec34478560181d7b0
d67cd776683be6a49679f80d8f3fb1b20895b8b06dc9bc80df75def0c4ce6344
3bcaca254b65a3a76b5158ab92017b151c6f2bde2b8c773a298e577206194044
018b6590822d9a2b5dba81d8e361ceb9887e1fce66a1594de3c5df6e9dff39c3
348a03b6ab87133f4e092431435db381f77d532d68d6fa89f5fcb61ac097a757
c6522ea6b3b94872fc00bcda92ad0b04214f91d3200d8dd5ed67309d3f359fb2
ef3013ee6399d5cc2443b3ffee2a390dc173955e70079dc76006238cc0e61353
63a978725de8d86568ca621c7695d328fe9df1d2c54a8157e76bba458066b508
e269509a3fc9ea179affd8faf5b5c5636dea620f614d3326cbd9f1233708c0b7
290c10387060adfe33a74d63c03c2c890d47a87631e0739aaad5cb599ef8e64a
16e09ecae78b0e90f576c12468ddae07c8aa5808b87ecfe3215ac2c035f81438
f173838b743cf6ce8afedc4777178e17c1d36aeb5c92b1eece4376e0583fa429
53faad56090bcb33199d5477e51e0f699ba4a0463e735ded8d43ff6791c6bf6a
3a5671266c260504628adfd5478055834d202c54e382636dc693ea61c5af2532
f4be1cb48a120687fd26ed29fbb50df9c7fd401477e08d6c4036c272336b25fd
d21d376e7683c7ec8f69a2ba7ac9e9ce6275cfcdcfb02c39a01be717e43b6371
0e3ca59222cbfc14cf63aadab542902c9a2e5a6b28ed2facd629b9cc41eedd7e
f08c9439f40d945a612a7ce8499d2595c662f2b404378afbd783a33e35a9a9d8
9d2cbcc67014bb179eac126c573d9c805fbc4c6091489f0a4237f914d5e35ad4
483548c4c18e7bd023b9cbd9857394744f82814b997a74ebf5501bbc50fb0412
048868e0aad1fa9f34bc49f2a68311960d0060bd6431ac341bf5609dee2e3c93
af8e8646955a6e86ea0eab7268c74d72eb95fd832b84e739383c609df539a6ff
707e3356a06e83a90ccc26562675ec4363c657c5240cff7cf9f850fc0b15460d
b4cf7b525a80417e9f1f9c3e2c5dd904f08078e39a1334e22d83c7608b010ac2
1025a67a2dc6b7967119c73ca7194ddb7a39e340abed3e7a0bf3b54381737dd6
d028b6f411011b151b18cb826bacca6998b182ebbff49cff4e4e478dfc1d178b
5024130a9742200330942a87d5ad57c84ccd63dbe652e34f0a7df7e99cfee892
492d7b9d717c9e9e4412842320a80479cd0ec507d7d8fb3465204febbffded52
4f8f74bde89014d2d37d30351933923b683f92c1f79e14cb4a7115d97a45cfca
64abcf9cc5ee7e2f1b43916a520893ff4fe9a7d9b7c5d99fed662ef521a0aa84
10939b372a9a6fc3bb97b85cec44098e9c27da70861b7823be2eab1ccad59554
3fa5c468336616d4480a3e52efa87828451ef9511c1af6c8551ad74e56144323
29c490eaaa620e9a6fe09ffd88ad25533ce77cdde06e86d74658b71921acf59c
9ccca83fde97d7cb4467375d5c110dd9f2861175f4eb038cdf79319fbc85dbb2
015e67207eb204934b0bd44b6673331fe65c75060210da46035acf961c8ae563
b2e2741c612718303a9427e2309a71911dc82c7c2e5558004eae6b0940a06bca
1b0a641e2164c606a12a9359a63375616f3bf522a710cb5c12df6268c6cc2d4c
6c26fcb266237a5c394465a684eb25b0f8c4a5a67933b3c8c7f0864842638e64
9775ee32f98c148977a2299a5fb6e3c9896aba4479d2758ff3e6a57b8c221fac
91c586a9702f4ea8f5be30ba53415381c60a5a032ca9ee6aea9d386d034cf632
316a4fae3b6f505bb4b905d1d714e3e0c8b44c0380d055002d70cf0fbd6bec61
0ed19e01467d5efb2fd8914c733a9d5ec1250c898aa3026451317dd9c42b270c
021d77cc8a8117ae9474a1ab02ce0fbec3eb686329df1e67ff4a6a18b6fc662b
1ef266213a011de7141a00ddebf10b44737d3e050e898dbd08ae867e89bc2c70
a4520a9bda5a51958d1ee367d2cb0a0b519dcda68b7cb05d2ca5fa84cfdd4fd1
8e9038e1f8dd2acddf4a30a2ec098d2f97c51c26a7f7a1692c03d97002f17c06
8a21b9a7c3dcc8f4cf9ed5f128a0ad8b4faafe07e9f62c780878a2f4562aaaed
5e300af27fd40a9c358c35eddad34f1067d76eb96bcdf078b244b5e990f6fbb8
f92ed674dd2ee157307ecfcfbb81a604ef39f90b47c2ee4e0d48d1469c9f5449
79614c859f52f73f739b0c75dd6e65002a756522afd8093133180ec94bf7e619
1261975cbc397e5ae5703d7e69bb75cb572933525e7836c7810fd455a9eeef88
771229b5eca2753c2d9cf6e3bbecce30eba6fb1c4cce98d42cea6a28bdbc2bf0
b2c444aa0df29f333c409bb7354c082a4df958bde16c33a022f856c811af1b24
82054d3363ccb83b7d04ff4241b25ac581b39cefcd616f6319ea38a44f60028f
76d08f80fd4e42bc5a982fff03b1ba9471d326bc11d40de49936783152e4df0a
222b58fcccea0d1330e09ec194cf580b5d69cffdf7882577e4f21eb4a320fb1b
0b1d3c86be36a72c366baaa3cda121bb9d72dae0eb5811b98a2c4827df4ff061
59e307589ae8ff9cdfd85ebb78b745fd10d1c41dbb551a56c8b823f80a78a51e
36ba1d2c3d712c43a860fdd81230c4c418dcb78378753b123e8121c96538ad14
13bc586d03a2436b30cba6296b696bd2b1adb7cf1ff8be64f966dbaa6cd43bdb
23c7a08065bb257f17227279dd34fa421bef60836e68e534c8314ee1aa69bc4c
921c4e8701ebdab2512b63acde920d54849a6dd36dd08596a6321eb9bb0aedde
e09cba24d666fa914baf26a5930abd255d6b4f106a93a6e0693f349ca1185d60
419b54450da66188cb638b40b11768c7b71a1540b669d97e5e7ef521441c2874
3d3479568ec1bb3ed4a1998e8ee066dfa5c1995a599b85fa2b6ef7c2967f91f0
620d391c541b347b7dcdec0ad91f4b00894e7f5bc8b3b4cf4fe54a1801b4b4a6
cfffb04d2af5cb22ad708394527c349de3a77afb84f3e5e514631e0d8ce8db32
e96f219ed99f8b1171090e2ac6a49704c812b98fbdff8a0d265ef9b0b7e279cf
d765def7dec416696b074bd3dd817d5137c80b3a842288b426a93433ea08de64
fa2fa3cb2b1e0a4ba70ce5170d6bb4d7be24cc3268d25a0d87a0c67cf28c3676
ec776e3a2ff0d6aab2187ea297a88d473f7c9d4be9f3890f07f10a01ae9026ad
c26828d39234bfa1d61960a89e0d9ff855f85831c6920f461e8c5856ffe14e43
da6b86040d2f24264b547ec49fb4d57d50b31287ca055dfe40165f49c3906b9a
d462e2748b0fefccffcceab5744bb2fe0c06328deab4f373e825400e713165de
a0eb8b8ecb823d85962336e8d4245e50c237d63141eaae638ef105a129c6409b
8ef73ded13bbb4b8fcda0efd5d3e06c30f8995cf382fd8383fccf0b77bf443ea
22287a067da90f98a1d48bd220b9b6e46f0c0a61b07aa7827f9c6a96080c2952
47fa22c264ec1eb3e9a847fc56b6963bd535ed341fc2adc8e06e6442077e756b
986198406f8c18cc5060c22a206ecf47e118f0d014c0f72def66cc1c1a435d16
62cec241514aa20d11ce22118f2039609086f9dca5d33f1b5774661e04c612ca
ac6ed253f8e43733aefb6d7fc04fb4d4ddf7cf6483ce782ed47b3db8b25c6c1c
a0ab81da538f4631752c8a5417768880d755277b4a00bbd558b2ec5e716c75cc
4f3106825628b8c82279546c50b8dfa95328da5e90e7c27fe13c0d6b74386838
63ac820900d3171f547c9fcb2fd3e5f31a36d0ab522aa738e019fd2fc8da8059
2cff1ff7090cd27fc2be3d4fee87a6a07879e6f1deed0bd8d5721d878da31031
52dbc3ca19063dcab5d8679e1ffc4430251eb2d48656234cc10e91fa1141d99d
faf64c94a70151453cfcb63169f10cd1e0d7305a711352961e5a5664c22e911c
86b94721e78805bd3873c681c6a394b3c011d7274db6fede9259893ee0b2a05b
cb81659c23187cbfc5537db1a761b1d0f1e78ded0ae11528235d162b964a2fcb
86ca62ec65d6f51f7a6b217be729fba18e148a679d8e7586520e6a3ee969372a
6c3a835df7576d92b2db485543114f6450e5d38a46d3ae7bb51dd9bed45c792a
ed808c8f615093cdb58627728c7427c1a7f6811c50dece51e551ba0e88257b1d
756dd397a5dbdebca232fcf12507c44bb76ba2a01307e32c839aee5d1e8a3e7a
7eeae8f3b378d3d75ddf78da02873ca4a0eeb134734fbd9f1b1d69d2884091a6
2f19ea291d8d85c1c05d5c5e040b7005dbd399b8dcfda143705d52440f9faa8c
29fccbcfddb6dd1decadc3a4ab3cba699ef9793567ff1ee9d0cd298e525c07fd
7a118ab9a47b51a819f89997a3ac6219e2bb66ddef2f3003e02aca84860e39c4
3f3b1346847afd433886e35782a7f178230525639ecdcb56b9916fe478921c2a
1949453663bb22600ed6a03f3a6a2deca1f8e8773d2bc2cff821cd879612a80e
64afa3d90d656763921d3455514e8844494b4e74e351db278e47f1ba606f454a
b8ed96689a3b586410ed26cadeb84e6181674f11faae1d6dac3b745b2f4a5702
ca2336e7680a697b098b0259570e8168788c1737255f2dea97a49eeb0499402e
4eca931d2b81cefa3e3b3080ec8ec5287dfd66607053d16d9c4176a0592bc645
c30d4275f047e39439bca6e33260b3d5dddd6d779d1af4226563548376a99542
b1d58c4b8a70c465d1029f51e28c56c6c0c8f2b67e7569a7627eae3671db140e
1213fadd7d3a6da14fb376ba28795c60734118c3a86fd702e05ff937516edd56
dece73f975d621478bf260728758574f27a9086398047c81983abeb457faba1a
abf4d3a424702c41c4961b361675f73cd43d88c7032807224bc800cfd097810b
8f88d8cfaadfcd27bd649d76ca4ba0063b83cd9a6ee452c919d86e3e690a74b2
51fbc1c45d68ac6782bb58e704dd2b996c714876ef6027a674ec266497efada8
6b4051948c567edbafe2193c2ac59c9d49ba4db492fe873d04f9e10875d4757c
d0499d6b63cc9bec981b4c5d16683405c7bd17ea7c948440cec80edcb0274514
a387e65047254157b413c253612ec534eee2ab7a9858e5176d7120348602e987
7cfd3538d659c86deb36e6d2aed7b5ec2a7c8c47ae3b1cc7b43088eec8b9b605
74b88a54d8df2aa3f551d5c92f02b8b234eaa6b103a5cd93ec693945ff42bdb6
bfba2825459fd25607f92230f4498c099134f3b9cf5f12a0762aa81ca1e07644
f2a74cf58de44ce735d2ed061412cd44aaa680217d29c6e07e96b2327bf33804
65ba07fe994b7af752462ba37bc334b1f8707204a6a7d42e40430d78aa7883e4
0e215e261169667a6e4eaefc44d99ee69bf6626398dafdb9a707f90c218d6457
cf81aa63799bf27acfd8c65ef92c0cf7c770d1e2147fd1187517d3b23aee5fc4
0ecbfa7ca4e9e0555865f60de21d7c6c7d859c95d13fbc1c03ea7e2ca3c88cdf
555ed776ffbe1308360dd4e03ddd6c73b61a54d7acd96b2ec3f6909da72f3e9c
9bac8b36f2a0b8c17cdb1ede16da79cc07eff6602e61898eb8a3685e5ed2a88b
24d8fbadc480851bb3d7a00d270328b6be9d7dc7bd89fa14150829df0447f61b
018ce52b668b359ad3c082e2bb565cbaac63afa177470754e11d89498a82f45c
7ce98e3d3d4d6ef8c7e5be1d1990e04e600ed4e8d8c455fbaae29dc58a323689
64ea204b167c57cc7cf2af69ae2b931f134f30951d0dbea6562c28c5ac84f0d3
a33db8ce6fa05384afb36e994e052f3e04f8a1fb60cb35789e4d150e6b474983
70aed7cf563b4035a71c5997b7d427ff3dcb07d9db5a9add427f33c5b56030c7
639e8b4c6a52d93621648ee3e9ab6342cb0b35038262151b607ec6b114d177b4
621990f622c83dafc6c6fc7eadd677166ad7cb3e0814325b1ef499731786eb32
cb961a3fd9a59882f6e0dacac5e1baa384e04ffa035a3222fb8e5e1e73fc7e99
f28fa89c164419d209eade4a90faf912185fe22a702a1a1c3eb4a86bff2838b4
68ec6d4da65e845a2fe16dc9f9fe208009500a01b94c41b6d1dabf61fcff1b63
35e69fadc49cea30c8b05f6ce98acc45be362a23153d8acd1c2413e739ac7a7a
cedf4bc2ab6f48ac0ce27ad364cb78455637c3640fcf1e117a646add7d9c7e70
"""

_GLOBO_FILES = tuple(
    RemoteFile(f"clicks/clicks_hour_{hour:03d}.csv.gz", sha256)
    for hour, sha256 in enumerate(_GLOBO_SHA256.split())
)

_DKN_RAW = (
    "https://raw.githubusercontent.com/hwwang55/DKN/"
    "90a188021a82ddaadffc44f6d87e1e72b1c3db9a/data/news/"
)

NEWS: list[DatasetSpec] = [
    DatasetSpec(
        name="bing-news",
        description=(
            "News (Bing News sample from DKN): 10,863 impressions (6,576 clicks) of 9,075 "
            "titles for 469 users; implicit clicks with non-clicks kept; title text and "
            "entities, no timestamps."
        ),
        loader="tastemaker.data._news:load_bing_news",
        files=(
            RemoteFile(
                "raw_train.txt",
                "9a699aac3bc2e95437ea943f36771764e45dc2b16ff86db6aee54e38010fd839",
                url=_DKN_RAW + "raw_train.txt",
            ),
            RemoteFile(
                "raw_test.txt",
                "5698c122c7643b0f5937e109fb2fc9a7716147fb3e15ab10c70eb4f76f2eefc9",
                url=_DKN_RAW + "raw_test.txt",
            ),
        ),
        aliases=("bing-news-dkn-sample",),
        homepage="https://github.com/hwwang55/DKN",
        license=(
            "MIT (the DKN repository's license, 'Copyright (c) 2017 Hongwei Wang'); the data "
            "is a small sample of Bing News logs released by the DKN authors"
        ),
        citation=(
            "Hongwei Wang, Fuzheng Zhang, Xing Xie, Minyi Guo. 2018. DKN: Deep Knowledge-Aware "
            "Network for News Recommendation. In Proceedings of The Web Conference 2018 "
            "(WWW 2018). https://dl.acm.org/citation.cfm?id=3186175"
        ),
    ),
    DatasetSpec(
        name="globo-news",
        description=(
            "News (G1 / Globo.com, Brazil): 1,425,560 clicks by 227,006 users on 24,566 "
            "articles in 500,901 sessions (first 7 days of Oct 2017); implicit clicks with "
            "session and context codes, no article metadata."
        ),
        loader="tastemaker.data._news:load_globo_news",
        # The files here are the hourly CSVs of Kaggle's clicks.zip, each gzipped
        # (gzip -9 -n); Kaggle needs a login, so there is no direct download address.
        files=_GLOBO_FILES,
        aliases=("globo-g1-news-clicks-7days",),
        homepage=(
            "https://www.kaggle.com/datasets/gspmoreira/news-portal-user-interactions-by-globocom"
        ),
        license=(
            "Academic use only: 'You are not allowed to use this dataset for commercial "
            "purposes, only with academic objectives (like education or research).'"
        ),
        citation=(
            "Gabriel de Souza Pereira Moreira, Felipe Ferreira, Adilson Marques da Cunha. 2018. "
            "News Session-Based Recommendations using Deep Neural Networks. DLRS 2018 (RecSys "
            "workshop). doi:10.1145/3270323.3270328. Gabriel de Souza Pereira Moreira, Dietmar "
            "Jannach, Adilson Marques da Cunha. 2019. Contextual Hybrid Session-based News "
            "Recommendation with Recurrent Neural Networks. IEEE Access 7, 169185-169203. "
            "doi:10.1109/ACCESS.2019.2954957."
        ),
        options={"max_files": None},
    ),
]


# -- E-commerce (read by _ecommerce.py) ----------------------------------------------
_AMAZON_HOME = "https://nijianmo.github.io/amazon/"
_AMAZON_FILES = "https://mcauleylab.ucsd.edu/public_datasets/data/amazon_v2/"
_AMAZON_LICENSE = (
    "Research use only: no license text is distributed; the dataset page asks users to cite "
    "the paper. Review texts are Amazon users' content."
)
_AMAZON_CITATION = (
    "Jianmo Ni, Jiacheng Li, Julian McAuley. 2019. Justifying recommendations using "
    "distantly-labeled reviews and fine-grained aspects. In Proceedings of EMNLP-IJCNLP 2019, "
    "pp. 188-197."
)
_OTTO_RAW = (
    "https://raw.githubusercontent.com/otto-de/recsys-dataset/"
    "f404284240ac654d0b924b2fabec0aea7b23f168/"
)
_SRGNN_RAW = (
    "https://raw.githubusercontent.com/CRIPAC-DIG/SR-GNN/"
    "e21cfa431f74c25ae6e4ae9261deefe11d1cb488/datasets/"
)

ECOMMERCE: list[DatasetSpec] = [
    DatasetSpec(
        name="amazon-fashion",
        description=(
            "E-commerce (Amazon fashion reviews, 2018 5-core file): 3,176 reviews by 406 users "
            "of 31 products; explicit 1-5 ratings with review text, day-resolution timestamps; "
            "no product metadata."
        ),
        loader="tastemaker.data._ecommerce:load_amazon_fashion",
        files=(
            RemoteFile(
                "AMAZON_FASHION_5.json.gz",
                "5c73b65d0a5cc5dcd905b75a87086c37513ff0d023b02b381e729ab8a9541cb6",
                url=_AMAZON_FILES + "categoryFilesSmall/AMAZON_FASHION_5.json.gz",
            ),
        ),
        aliases=("amazon-reviews-2018-fashion-5core",),
        homepage=_AMAZON_HOME,
        license=_AMAZON_LICENSE,
        citation=_AMAZON_CITATION,
    ),
    DatasetSpec(
        name="amazon-magazines",
        description=(
            "E-commerce (Amazon magazine subscriptions reviews, 2018 5-core): 2,375 reviews by "
            "348 users of 157 products; explicit 1-5 ratings with review text; product "
            "metadata (title, description, category, brand, price, images)."
        ),
        loader="tastemaker.data._ecommerce:load_amazon_magazines",
        files=(
            RemoteFile(
                "Magazine_Subscriptions_5.json.gz",
                "95c124603d62d6acdfd1bd62284934fb6c513db836ea64c2e8176c14256426f2",
                url=_AMAZON_FILES + "categoryFilesSmall/Magazine_Subscriptions_5.json.gz",
            ),
            # the 2021 metadata release (imageURL / imageURLHighRes), served as metaFiles2
            RemoteFile(
                "meta_Magazine_Subscriptions.json.gz",
                "147cb78dac0f9ce04849b196e2e13cad6a504bff45d53500b7a1fe8121d91595",
                url=_AMAZON_FILES + "metaFiles2/meta_Magazine_Subscriptions.json.gz",
                required=False,
            ),
        ),
        aliases=("amazon-reviews-2018-magazine-subscriptions-5core",),
        homepage=_AMAZON_HOME,
        license=_AMAZON_LICENSE,
        citation=_AMAZON_CITATION,
        options={"full_catalog": False},
    ),
    DatasetSpec(
        name="amazon-gift-cards",
        description=(
            "E-commerce (Amazon gift cards reviews, 2018 5-core): 2,972 reviews by 458 users of "
            "148 products; explicit 1-5 ratings (93% are 5) with review text; product metadata."
        ),
        loader="tastemaker.data._ecommerce:load_amazon_gift_cards",
        files=(
            RemoteFile(
                "Gift_Cards_5.json.gz",
                "41e1f0e50d3c1c9d7d949fb6315944c8bde51ea6b7429a29fdd0d02cbc07ef25",
                url=_AMAZON_FILES + "categoryFilesSmall/Gift_Cards_5.json.gz",
            ),
            # the 2020 metadata release (field "image"); the official address now serves
            # the 2021 re-release, whose bytes differ, so there is no download address
            RemoteFile(
                "meta_Gift_Cards.json.gz",
                "07fd154b7275ab9b1537e3802913508c7a5f84ed00f73201cd3fa18b2b51b342",
                required=False,
            ),
        ),
        aliases=("amazon-reviews-2018-gift-cards-5core",),
        homepage=_AMAZON_HOME,
        license=_AMAZON_LICENSE,
        citation=_AMAZON_CITATION,
        options={"full_catalog": False},
    ),
    DatasetSpec(
        name="diginetica",
        description=(
            "E-commerce (DIGINETICA shop, CIKM Cup 2016, partial): 18,025 purchases (complete) "
            "and 12,391 item views (sample), 184,047 products with categories; implicit "
            "view/purchase events, mostly anonymous sessions."
        ),
        loader="tastemaker.data._ecommerce:load_diginetica",
        files=(
            # the competition files are behind the CIKM Cup / CodaLab pages: no direct address
            RemoteFile(
                "train-purchases.csv",
                "d6d3ce5b2df5d75a87fb0621f384aaf187ee1736bc46fcc58bb303ddc38d0658",
            ),
            RemoteFile(
                "product-categories.csv",
                "9e9566e34548e5d1b8d05ed6dd0222fbb8a7b7b2a8a18cdf28c1a4eba8f9e42c",
            ),
            RemoteFile(
                "sample_train-item-views.csv",
                "98da96e05c87ef12b739e4bfd9bc7b4864106ee77371f1db9eb4413e3f78d37e",
                url=_SRGNN_RAW + "sample_train-item-views.csv",
            ),
        ),
        aliases=("diginetica-cikm2016-partial",),
        homepage="https://competitions.codalab.org/competitions/11161",
        license=(
            "Research / non-commercial use only (no license distributed with the files); do "
            "not redistribute"
        ),
        citation=(
            "CIKM Cup 2016 Track 2: Personalized E-Commerce Search Challenge (DIGINETICA), "
            "https://competitions.codalab.org/competitions/11161. View sample: Shu Wu, Yuyuan "
            "Tang, Yanqiao Zhu, Liang Wang, Xing Xie, Tieniu Tan. 2019. Session-based "
            "Recommendation with Graph Neural Networks. AAAI 2019."
        ),
        options={"user": "known", "full_catalog": False},
    ),
    DatasetSpec(
        name="otto",
        description=(
            "E-commerce (otto.de, publisher's 20-session sample): 862 events on 510 products; "
            "implicit clicks, carts and orders in sessions (no user ids); for format and "
            "smoke tests."
        ),
        loader="tastemaker.data._ecommerce:load_otto",
        files=(
            RemoteFile(
                "train.jsonl",
                "8994e47578f7467191185e612080696030495b6041015a6550b9d8af57f7c826",
                url=_OTTO_RAW + "test/resources/train.jsonl",
            ),
            RemoteFile(
                "README.md",
                "73150aff4fc8f1c1810f388384e409994871d546820588f9ee4b3e60a9494357",
                url=_OTTO_RAW + "README.md",
                required=False,
            ),
            RemoteFile(
                "LICENSE",
                "71274a5a7579f224684224db671789489c4a27a639cc74b87538c10c1442cdd6",
                url=_OTTO_RAW + "LICENSE",
                required=False,
            ),
        ),
        aliases=("otto-recsys-sample",),
        homepage="https://github.com/otto-de/recsys-dataset",
        license="CC-BY 4.0 (data); MIT (code)",
        citation=(
            "Philipp Normann, Sophie Baumeister, Timo Wilm. 2023. OTTO Recommender Systems "
            "Dataset: A real-world e-commerce dataset for session-based recommender systems "
            "research. Kaggle. doi:10.34740/KAGGLE/DSV/4991874."
        ),
    ),
]


# -- Bandit feedback (read by _bandit.py) --------------------------------------------
_OBD_SHA256 = {
    "README.md": "46bba393a44b63ddbb735d21d48ea447a073261eac93b4f06e1b19e9b41db2fe",
    "README_JN.md": "5cc30018d4c676bf1385ed3d68893cca62c96076ebad16f34db56f148c28d2e9",
    "bts/all/all.csv": "0ad874e4dbf6902f0845dd478ad8dde5ef6903583d3ffaace78411bdad064106",
    "bts/all/item_context.csv": "5d4359ba1cfa3ae88f0f1bae66bd633859fe6323817183632ee57b83539d9153",
    "bts/men/item_context.csv": "3b411ed6b0471316321a6b93f4f756bb25888eac6218cd71d0b603d41d85732d",
    "bts/men/men.csv": "db6d1f7ed2d591ba521533e45286d4c1fba7fe57a8ad2e80342210335f43c527",
    "bts/women/item_context.csv": (
        "a56295bad066a558eb783055afd9279f5f4e209a4776eafc22151c53f0ac89d4"
    ),
    "bts/women/women.csv": "e5d1b49a39b608585a2f3014a3f54970430cd37a495c1b73fceb85cdf428a5b8",
    "random/all/all.csv": "7168295b6e0a9eabcf3392320a5dd434e542b68e705d5cd9491499af589812f1",
    "random/all/item_context.csv": (
        "eba04cc23d5f130a93ff174c5392986882b94c3839433cb8143870eaa6221358"
    ),
    "random/men/item_context.csv": (
        "6d855c2b7e917d0448d71bbe62c023147495882c0fdc8c41e86fef86abf9fe09"
    ),
    "random/men/men.csv": "ede6d08c6877f99cd3770f7d09e26c738e6aa6de4445ccccfb1356ba5d06b1eb",
    "random/women/item_context.csv": (
        "b1ca4905f97703d196004f2ad4552c1e90c2afad8b50688d333b0d2dc0b33147"
    ),
    "random/women/women.csv": "e65f3bd3beb17664fa69cc129bf7bf852a775f8ffa630506e505fc905315bb34",
}
# the files of the obp package, identical (same git blobs) under obd/ in st-tech/zr-obp
_OBD_RAW = (
    "https://raw.githubusercontent.com/st-tech/zr-obp/8cbd5fa4558b7ad2ba4781546d6604e4cc3e07c4/obd/"
)

BANDIT: list[DatasetSpec] = [
    DatasetSpec(
        name="open-bandit",
        description=(
            "E-commerce bandit feedback (ZOZOTOWN fashion, Open Bandit Dataset small): "
            "2 policies x 3 campaigns x 10,000 impressions of 80/34/46 items; implicit clicks "
            "with position and propensity, no user ids."
        ),
        loader="tastemaker.data._bandit:load_open_bandit",
        files=tuple(
            RemoteFile(
                path,
                sha256,
                url=_OBD_RAW + path,
                required=not path.startswith("README"),
            )
            for path, sha256 in _OBD_SHA256.items()
        ),
        aliases=("open-bandit-dataset-small",),
        homepage="https://research.zozo.com/data.html",
        license=(
            "Apache License 2.0 (the small version as distributed in the obp package and "
            "st-tech/zr-obp); the full-size data has its own terms"
        ),
        citation=(
            "Yuta Saito, Shunsuke Aihara, Megumi Matsutani, Yusuke Narita. 2020. Open Bandit "
            "Dataset and Pipeline: Towards Realistic and Reproducible Off-Policy Evaluation. "
            "arXiv:2008.07146. (NeurIPS 2021 Datasets and Benchmarks Track.)"
        ),
        options={"policy": "random", "campaign": "all"},
    ),
]


SPECS: list[DatasetSpec] = [*MOVIELENS, *LASTFM, *NEWS, *ECOMMERCE, *BANDIT]
