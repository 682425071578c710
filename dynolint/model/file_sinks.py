"""Library calls that create a file or directory, as data the interpreter consults (a row per
function or method, no branch per library in the interpreter; see dynolint.model.files).

``FUNCTIONS``: functions by dotted path; ``METHODS``: methods by name, whatever the receiver
(a path argument under /tmp is what makes them a write there); ``COMMANDS``: the options of
command-line programs run through ``subprocess``/``os.system`` whose value is an output file
or directory.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sink:
    """Where a call's output path is and when the call writes it.

    ``pos``/``kw``: the path argument's position and keyword. ``mode_pos``/``mode_kw``/
    ``mode_default``: the mode or flag argument, when the call writes only in some modes;
    ``writes``: the mode characters that make it write ("" = always writes). ``flag``: a
    constant that must be or-ed into the flags argument (``os.open``'s ``O_CREAT``)."""

    pos: int | None
    kw: str | None
    mode_pos: int | None = None
    mode_kw: str | None = None
    mode_default: str = ""
    writes: str = ""
    flag: str | None = None
    also: tuple[str, ...] = ()  # other keywords that name where it writes (a cache or a local copy)


_DST = Sink(1, "dst")

FUNCTIONS: dict[str, Sink] = {
    # copies, moves, links
    "shutil.copy": _DST, "shutil.copy2": _DST, "shutil.copyfile": _DST, "shutil.copytree": _DST,
    "shutil.move": _DST, "os.rename": _DST, "os.replace": _DST, "os.link": _DST, "os.symlink": _DST,
    "shutil.unpack_archive": Sink(1, "extract_dir"), "shutil.make_archive": Sink(0, "base_name"),
    # directories
    "os.makedirs": Sink(0, "name"), "os.mkdir": Sink(0, "path"), "os.mkfifo": Sink(0, "path"),
    # downloads
    "urllib.request.urlretrieve": Sink(1, "filename"), "wget.download": Sink(1, "out"),
    # low-level and database files
    "os.open": Sink(0, "path", flag="os.O_CREAT"),
    "sqlite3.connect": Sink(0, "database"), "duckdb.connect": Sink(0, "database"),
    "shelve.open": Sink(0, "filename", 1, "flag", "c", "cnw"),
    "dbm.open": Sink(0, "file", 1, "flag", "r", "cnw"), "dbm.gnu.open": Sink(0, "filename", 1, None, "r", "cnw"),
    "dbm.ndbm.open": Sink(0, "filename", 1, None, "r", "cnw"), "dbm.dumb.open": Sink(0, "file", 1, "flag", "c", "cnw"),
    # serialisers that take a path
    "joblib.dump": Sink(1, "filename"), "torch.save": Sink(1, "f"), "torch.jit.save": Sink(1, "f"),
    "numpy.save": Sink(0, "file"), "numpy.savez": Sink(0, "file"), "numpy.savez_compressed": Sink(0, "file"),
    "numpy.savetxt": Sink(0, "fname"), "pandas.to_pickle": Sink(1, "filepath_or_buffer"),
    "safetensors.torch.save_file": Sink(1, "filename"), "cloudpickle.dump": Sink(1, "file"),
    # logging handlers open their file on construction
    "logging.FileHandler": Sink(0, "filename"), "logging.handlers.RotatingFileHandler": Sink(0, "filename"),
    "logging.handlers.TimedRotatingFileHandler": Sink(0, "filename"),
    "logging.handlers.WatchedFileHandler": Sink(0, "filename"),
    # figures, spreadsheets and documents written by module functions
    "matplotlib.pyplot.savefig": Sink(0, "fname"), "xlsxwriter.Workbook": Sink(0, "filename"),
    "pdfkit.from_string": Sink(1, "output_path"), "pdfkit.from_url": Sink(1, "output_path"),
    "pdfkit.from_file": Sink(1, "output_path"),
    # model hubs download into a cache or a local folder
    "huggingface_hub.hf_hub_download": Sink(None, "local_dir", also=("cache_dir",)),
    "huggingface_hub.snapshot_download": Sink(None, "local_dir", also=("cache_dir",)),
}

# Methods that write the path given as an argument (DataFrame, ndarray, image, figure,
# model and document savers); a receiver that is itself a path is handled by PATH_WRITES.
METHODS: dict[str, Sink] = {
    name: Sink(0, kw) for name, kw in (
        ("save", "fp"), ("to_csv", "path_or_buf"), ("to_parquet", "path"), ("to_json", "path_or_buf"),
        ("to_excel", "excel_writer"), ("to_feather", "path"), ("to_pickle", "path"), ("to_hdf", "path_or_buf"),
        ("to_orc", "path"), ("to_stata", "path"), ("to_xml", "path_or_buffer"), ("to_html", "buf"),
        ("savefig", "fname"), ("write_pdf", "target"), ("write_png", "target"), ("tofile", "fid"),
        ("download_to_filename", "filename"), ("dump_to", None), ("export", None), ("write", None),
        ("to_file", None), ("save_pretrained", "save_directory"), ("save_model", None),
        ("write_parquet", "file"), ("write_csv", "file"), ("write_table", None),
    )
}
# an archive's methods that read the file named by their first argument into the archive
# (``ZipFile.write(filename, arcname)``, as ``TarFile.add(name)`` does): not a write of that path
ARCHIVE_READS = frozenset({"write"})
# a model loaded into a cache folder (``AutoModel.from_pretrained(name, cache_dir="/tmp/hf")``)
METHODS["from_pretrained"] = Sink(None, "cache_dir")

# Command-line options whose value is a file or directory the program writes, by program.
COMMANDS: dict[str, frozenset[str]] = {
    "curl": frozenset({"-o", "--output", "--output-dir"}),
    "wget": frozenset({"-O", "--output-document", "-P", "--directory-prefix", "-o", "--output-file"}),
    "tar": frozenset({"-C", "--directory"}),
    "unzip": frozenset({"-d"}),
}

# Programs whose last positional argument is the destination they write.
POSITIONAL: frozenset[str] = frozenset({"cp", "mv", "rsync", "ln", "ffmpeg"})
# ``aws s3 cp|sync|mv SRC DST`` and ``git clone URL DIR``: subcommands whose last argument is the destination.
SUBCOMMANDS: dict[str, frozenset[str]] = {"aws": frozenset({"cp", "sync", "mv"}), "git": frozenset({"clone"})}
