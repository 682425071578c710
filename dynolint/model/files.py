"""Files the code writes: ``open`` and its relatives, copies, archives, ``tempfile``,
``pathlib`` and ``os.path`` paths, shell redirections; which of them land under /tmp and
outlive the invocation (a ``finally`` that removes them cleans them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint import ir
from dynolint.model.events import TmpWrite
from dynolint.model.values import (
    NONE, UNKNOWN, ArchiveV, CallV, ConstV, EnvV, FileV, Loc, ManagedTmpV, OpaqueV, SeqV, StrV,
    TmpRootV, Val, alts, const_str, one_of,
)

if TYPE_CHECKING:
    from dynolint.model.interp import Interpreter as _Base
    from dynolint.model.state import Frame
else:
    _Base = object

FILE_HANDLERS = ("logging.FileHandler", "logging.handlers.RotatingFileHandler",
                 "logging.handlers.TimedRotatingFileHandler", "logging.handlers.WatchedFileHandler")
SAVE_METHODS = frozenset({"save", "to_csv", "to_parquet", "to_json", "to_excel", "to_feather",
                          "savefig", "write_pdf", "write_png", "download_to_filename", "dump_to",
                          "export", "write", "to_file"})
PATH_WRITES = frozenset({"write_text", "write_bytes", "touch", "mkdir", "symlink_to", "hardlink_to"})
REMOVERS = frozenset({"os.remove", "os.unlink", "shutil.rmtree", "os.rmdir"})


class FilesMixin(_Base):
    def file_call(self, path: str, args: list[Val], kwargs: dict[str, Val], loc: Loc, frame: Frame) -> Val | None:
        """A library function that writes, names or removes a file (None: not one of those)."""
        if path == "open" or path in ("io.open", "codecs.open", "aiofiles.open", "gzip.open", "bz2.open"):
            target = args[0] if args else kwargs.get("file", UNKNOWN)
            mode = const_str(args[1]) if len(args) > 1 else const_str(kwargs.get("mode", ConstV("r")))
            mode = mode or "r"
            if any(c in mode for c in "wax+"):
                self.tmp_write(target, "open", loc, frame)
            return FileV(target, mode)
        if path in FILE_HANDLERS:
            target = args[0] if args else kwargs.get("filename", UNKNOWN)
            mode = const_str(args[1]) if len(args) > 1 else const_str(kwargs.get("mode", ConstV("a")))
            self.tmp_write(target, path.rsplit(".", 1)[-1], loc, frame)
            return CallV(path, None, tuple(args))
        if path in ("shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.copytree", "shutil.move",
                    "os.rename", "os.replace", "shutil.unpack_archive", "os.link", "os.symlink"):
            target = args[1] if len(args) > 1 else kwargs.get("dst", kwargs.get("extract_dir", UNKNOWN))
            self.tmp_write(target, path, loc, frame)
            return target
        if path in ("os.makedirs", "os.mkdir", "os.mkfifo"):
            self.tmp_write(args[0] if args else kwargs.get("name", UNKNOWN), path, loc, frame)
            return NONE
        if path in REMOVERS:
            if args:
                frame.removed_paths.append(args[0])
            return NONE
        if path in ("os.path.join", "posixpath.join", "os.path.abspath", "os.path.normpath",
                    "os.path.realpath", "os.path.expanduser"):
            joined: list[Val] = []
            for index, arg in enumerate(args):
                if index:
                    joined.append(ConstV("/"))
                joined.append(arg)
            return self.concat(joined) if joined else UNKNOWN
        if path in ("pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "Path", "PurePosixPath",
                    "pathlib.PurePosixPath"):
            if not args:
                return ConstV(".")
            joined = []
            for index, arg in enumerate(args):
                if index:
                    joined.append(ConstV("/"))
                joined.append(arg)
            return self.concat(joined)
        if path in ("tempfile.gettempdir", "tempfile.gettempdirb"):
            return TmpRootV("tempfile.gettempdir()")
        if path in ("tempfile.mkdtemp", "tempfile.mkstemp"):
            where = kwargs.get("dir", args[2] if len(args) > 2 else None)
            created = TmpRootV(f"{path}()")
            if where is None or self.is_tmp(where):
                self.tmp_write(created, f"{path}()", loc, frame)
            if path == "tempfile.mkstemp":
                return SeqV("tuple", (OpaqueV(loc, ()), created))
            return created
        if path in ("tempfile.TemporaryDirectory", "tempfile.TemporaryFile", "tempfile.SpooledTemporaryFile"):
            return ManagedTmpV(loc)
        if path == "tempfile.NamedTemporaryFile":
            delete = kwargs.get("delete")
            if isinstance(delete, ConstV) and delete.value is False:
                return FileV(TmpRootV("NamedTemporaryFile(delete=False)"), "w")
            return ManagedTmpV(loc)
        if path in ("zipfile.ZipFile", "tarfile.open", "tarfile.TarFile", "zipfile.PyZipFile"):
            target = args[0] if args else kwargs.get("file", kwargs.get("name", UNKNOWN))
            mode = const_str(args[1]) if len(args) > 1 else const_str(kwargs.get("mode", ConstV("r")))
            if mode and mode[0] in "wax":
                self.tmp_write(target, path, loc, frame)
            return ArchiveV(target)
        if path in ("subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
                    "subprocess.Popen", "os.system"):
            command = args[0] if args else kwargs.get("args", UNKNOWN)
            self.shell_redirect(command, loc, frame)
            return CallV(path, None, tuple(args))
        return None

    def file_method(self, recv: Val, name: str, args: list[Val], kwargs: dict[str, Val], loc: Loc,
                    frame: Frame) -> Val | None:
        """A method of a path, file or archive that writes or removes (None: not one of those)."""
        if name in PATH_WRITES and self.is_tmp(recv):
            self.tmp_write(recv, name, loc, frame)
            return NONE
        if name == "open" and self.is_tmp(recv):
            mode = const_str(args[0]) if args else const_str(kwargs.get("mode", ConstV("r")))
            if mode and any(c in mode for c in "wax+"):
                self.tmp_write(recv, "open", loc, frame)
            return FileV(recv, mode or "r")
        if name in ("unlink", "rmdir") and not args:
            frame.removed_paths.append(recv)
            return NONE
        if name in ("extractall", "extract"):
            target = kwargs.get("path")
            if target is None:
                target = args[0] if name == "extractall" and args else (args[1] if len(args) > 1 else UNKNOWN)
            if any(isinstance(a, ArchiveV) for a in alts(recv)) or self.is_tmp(target):
                self.tmp_write(target, name, loc, frame)
            return NONE
        if name in SAVE_METHODS and args and self.is_tmp(args[0]):
            self.tmp_write(args[0], name, loc, frame)
            return NONE
        if name in ("joinpath", "with_name", "with_suffix", "with_stem"):
            return self.concat([recv, ConstV("/"), *args]) if name == "joinpath" else CallV(name, recv, tuple(args))
        return None

    # -- context managers ----------------------------------------------------------------
    def enter(self, value: Val, expr: ir.Expr, frame: Frame) -> Val:
        out = []
        for alt in alts(value):
            if isinstance(alt, FileV) and isinstance(alt.path, TmpRootV) and "NamedTemporaryFile" in alt.path.how:
                out.append(alt)
            else:
                out.append(alt)
        return one_of(out)

    # -- /tmp ----------------------------------------------------------------------------
    def is_tmp(self, value: Val) -> bool:
        for alt in alts(value):
            if isinstance(alt, TmpRootV):
                return True
            text = const_str(alt)
            if text is not None and (text == "/tmp" or text.startswith("/tmp/")):
                return True
            if isinstance(alt, StrV) and alt.parts and self.is_tmp(alt.parts[0]):
                return True
            if isinstance(alt, EnvV):
                name = const_str(alt.name)
                if name in ("TMPDIR", "TEMP", "TMP") or (alt.default is not None and self.is_tmp(alt.default)):
                    return True
            if isinstance(alt, FileV) and self.is_tmp(alt.path):
                return True
        return False

    def tmp_write(self, target: Val, how: str, loc: Loc, frame: Frame) -> None:
        if self.is_tmp(target):
            self.tmp_writes.append(TmpWrite(loc, target, how, frame.info, frame.root))

    def shell_redirect(self, command: Val, loc: Loc, frame: Frame) -> None:
        parts = command.parts if isinstance(command, StrV) else (command,)
        texts = [const_str(p) or "" for p in parts]
        joined = " ".join(texts)
        if ">" in joined and "/tmp" in joined.split(">", 1)[1]:
            self.tmp_writes.append(TmpWrite(loc, ConstV("/tmp"), "shell redirect", frame.info, frame.root))

    def mark_cleaned(self, start: int, removed: list[Val]) -> None:
        if not removed:
            return
        for index in range(start, len(self.tmp_writes)):
            write = self.tmp_writes[index]
            if any(self.vals_equal(write.path, r) for r in removed):
                self.cleaned.add(index)
