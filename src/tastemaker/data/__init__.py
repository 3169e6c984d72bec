"""Data: datasets, id maps, readers, named datasets, cleaning and splits."""

from tastemaker.data._cleaning import (
    DEFAULT_EVENT_WEIGHTS,
    UNKNOWN_EVENT_WEIGHT,
    binarize,
    event_weights,
    fill_missing,
    k_core,
    recency_decay,
    resolve_duplicates,
)
from tastemaker.data._dataset import (
    INTERACTION_COLUMNS,
    Dataset,
    LoadReport,
    aligned_rows,
    interaction_matrix,
)
from tastemaker.data._idmap import IdMap
from tastemaker.data._named import (
    cache_dir,
    data_dir,
    dataset_info,
    fetch,
    get_spec,
    list_datasets,
    load_dataset,
    locate,
    register_dataset,
    verify,
)
from tastemaker.data._readers import check_events, read_frame, read_interactions, read_table
from tastemaker.data._spec import DatasetSpec, RemoteFile
from tastemaker.data._splits import (
    PROTOCOLS,
    ColdItemSplit,
    KFold,
    LeaveLastOut,
    NewUserSplit,
    RandomHoldout,
    Split,
    Splitter,
    TemporalSplit,
    make_splitter,
    split_info,
)
from tastemaker.data._tables import JoinReport, join_tables

__all__ = [
    "DEFAULT_EVENT_WEIGHTS",
    "INTERACTION_COLUMNS",
    "PROTOCOLS",
    "UNKNOWN_EVENT_WEIGHT",
    "ColdItemSplit",
    "Dataset",
    "DatasetSpec",
    "IdMap",
    "JoinReport",
    "KFold",
    "LeaveLastOut",
    "LoadReport",
    "NewUserSplit",
    "RandomHoldout",
    "RemoteFile",
    "Split",
    "Splitter",
    "TemporalSplit",
    "aligned_rows",
    "binarize",
    "cache_dir",
    "check_events",
    "data_dir",
    "dataset_info",
    "event_weights",
    "fetch",
    "fill_missing",
    "get_spec",
    "interaction_matrix",
    "join_tables",
    "k_core",
    "list_datasets",
    "load_dataset",
    "locate",
    "make_splitter",
    "ml100k_folds",
    "read_frame",
    "read_interactions",
    "read_table",
    "recency_decay",
    "register_dataset",
    "resolve_duplicates",
    "split_info",
    "verify",
]


def __getattr__(name: str):
    # the MovieLens reader loads on first use, like every named-dataset reader
    if name == "ml100k_folds":
        from tastemaker.data._movielens import ml100k_folds

        return ml100k_folds
    raise AttributeError(f"module 'tastemaker.data' has no attribute {name!r}")
