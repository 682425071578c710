"""Files the code writes: ``open`` and its relatives, copies, archives, ``tempfile``,
``pathlib`` and ``os.path`` paths, shell redirections; which of them land under /tmp and
outlive the invocation (a ``finally`` that removes them cleans them)."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Callable

from dynolint.phase1 import ir
from dynolint.model.events import TmpWrite
from dynolint.model.file_sinks import ARCHIVE_READS, COMMANDS, FUNCTIONS, METHODS, POSITIONAL, SUBCOMMANDS, Sink
from dynolint.model.values import (
    NONE, UNKNOWN, ArchiveV, ArithV, ExtV, CallV, ConstV, EnvV, FileV, Loc, ManagedTmpV, OpaqueV, SeqV, StrV,
    TmpRootV, Val, alts, const_str, one_of,
)
from dynolint.model.mixin import Mixin

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame

PATH_WRITES = frozenset({"write_text", "write_bytes", "touch", "mkdir", "symlink_to", "hardlink_to"})
REMOVERS = frozenset({"os.remove", "os.unlink", "shutil.rmtree", "os.rmdir"})
# calls that give a path's text (a ``Path`` is its text here): the same place
PATH_TEXT = frozenset({"str", "os.fspath", "os.fsencode", "os.fsdecode"})


class FilesMixin(Mixin):
    def file_call(self: Machine, path: str, args: list[Val], kwargs: dict[str, Val], loc: Loc,
                  frame: Frame) -> Val | None:
        """A library function that writes, names or removes a file (None: not one of those)."""
        if path == "open" or path in ("io.open", "codecs.open", "aiofiles.open", "gzip.open", "bz2.open"):
            target = args[0] if args else kwargs.get("file", UNKNOWN)
            mode = const_str(args[1]) if len(args) > 1 else const_str(kwargs.get("mode", ConstV("r")))
            mode = mode or "r"
            if any(c in mode for c in "wax+"):
                self.tmp_write(target, "open", loc, frame)
            return FileV(target, mode)
        sink = FUNCTIONS.get(path)
        if sink is not None:
            target = self.sink_target(sink, args, kwargs)
            if self.sink_writes(sink, args, kwargs):
                self.tmp_write(target, path, loc, frame)
            if path.startswith("logging."):
                return CallV(path, None, tuple(args))
            return NONE if path.startswith(("os.makedirs", "os.mkdir", "os.mkfifo")) else target
        if path in REMOVERS:
            if args:
                frame.removed_paths.append(path_of(args[0]))
                self.summaries.effect()  # the caller's ``finally`` may be cleaning up through this call
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
        if path == "tempfile.NamedTemporaryFile" and self.kept(kwargs.get("delete"), kwargs.get("dir")):
            created = TmpRootV("NamedTemporaryFile(delete=False)")
            self.tmp_write(created, "NamedTemporaryFile(delete=False)", loc, frame)
            return FileV(created, "w")
        if path in ("tempfile.TemporaryDirectory", "tempfile.TemporaryFile", "tempfile.SpooledTemporaryFile",
                    "tempfile.NamedTemporaryFile"):
            return ManagedTmpV(loc)
        if path in ("zipfile.ZipFile", "tarfile.open", "tarfile.TarFile", "zipfile.PyZipFile"):
            target = args[0] if args else kwargs.get("file", kwargs.get("name", UNKNOWN))
            mode = const_str(args[1]) if len(args) > 1 else const_str(kwargs.get("mode", ConstV("r")))
            if mode and mode[0] in "wax" and not all(type(alt) is FileV for alt in alts(target)):
                # (an archive written into a file the code opened: ``open`` made the file, and is reported)
                self.tmp_write(target, path, loc, frame)
            return ArchiveV(target)
        if path in ("subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
                    "subprocess.Popen", "os.system"):
            command = args[0] if args else kwargs.get("args", UNKNOWN)
            self.shell_redirect(command, loc, frame)
            return CallV(path, None, tuple(args))
        return None

    def file_method(self: Machine, recv: Val, name: str, args: list[Val], kwargs: dict[str, Val], loc: Loc,
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
            self.summaries.effect()
            return NONE
        if name in ("extractall", "extract"):
            target = kwargs.get("path")
            if target is None:
                target = args[0] if name == "extractall" and args else (args[1] if len(args) > 1 else UNKNOWN)
            if any(isinstance(a, ArchiveV) for a in alts(recv)) or self.is_tmp(target):
                self.tmp_write(target, name, loc, frame)
            return NONE
        sink = METHODS.get(name)
        if sink is not None and name in ARCHIVE_READS and alts(recv) and all(isinstance(a, ArchiveV) for a in alts(recv)):
            return NONE  # ``archive.write(path, arcname)``: the file at ``path`` is read into the archive
        if sink is not None:
            target = self.sink_target(sink, args, kwargs)
            if self.is_tmp(target):
                self.tmp_write(target, name, loc, frame)
                return NONE
        if name in ("joinpath", "with_name", "with_suffix", "with_stem"):
            return self.concat([recv, ConstV("/"), *args]) if name == "joinpath" else CallV(name, recv, tuple(args))
        return None

    # -- context managers ----------------------------------------------------------------
    def enter(self: Machine, value: Val, expr: ir.Expr, frame: Frame) -> Val:
        out: list[Val] = []
        for alt in alts(value):
            if isinstance(alt, FileV) and isinstance(alt.path, TmpRootV) and "NamedTemporaryFile" in alt.path.how:
                out.append(alt)
            else:
                out.append(alt)
        return one_of(out)

    # -- /tmp ----------------------------------------------------------------------------
    def is_tmp(self: Machine, value: Val) -> bool:
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
            if alt is not path_of(alt) and self.is_tmp(path_of(alt)):
                return True  # ``str(CACHE_DIR / "model.bin")``: the path's text
        return False

    def kept(self: Machine, delete: Val | None, where: Val | None) -> bool:
        """``NamedTemporaryFile(delete=False)`` in the temp dir: the file outlives the call."""
        return (isinstance(delete, ConstV) and delete.value is False
                and (where is None or self.is_tmp(where)))

    def sink_target(self: Machine, sink: Sink, args: list[Val], kwargs: dict[str, Val]) -> Val:
        for keyword in (sink.kw, *sink.also):
            if keyword is not None and keyword in kwargs:
                return kwargs[keyword]
        if sink.pos is not None and len(args) > sink.pos:
            return args[sink.pos]
        return UNKNOWN

    def sink_writes(self: Machine, sink: Sink, args: list[Val], kwargs: dict[str, Val]) -> bool:
        """Whether the call writes, by its mode or flags argument (see ``Sink``)."""
        if sink.flag is not None:
            flags = args[1] if len(args) > 1 else kwargs.get("flags", UNKNOWN)
            return self.has_flag(flags, sink.flag)
        if not sink.writes:
            return True
        mode = None
        if sink.mode_kw is not None and sink.mode_kw in kwargs:
            mode = const_str(kwargs[sink.mode_kw])
        elif sink.mode_pos is not None and len(args) > sink.mode_pos:
            mode = const_str(args[sink.mode_pos])
        else:
            mode = sink.mode_default
        return mode is None or any(c in mode for c in sink.writes)

    def has_flag(self: Machine, value: Val, flag: str) -> bool:
        for alt in alts(value):
            if isinstance(alt, ExtV) and alt.path == flag:
                return True
            if isinstance(alt, ArithV) and (self.has_flag(alt.left, flag) or self.has_flag(alt.right, flag)):
                return True
        return False

    def tmp_write(self: Machine, target: Val, how: str, loc: Loc, frame: Frame) -> None:
        if self.is_tmp(target):
            self.tmp_writes.append(TmpWrite(loc, path_of(target), how, frame.info, frame.root))

    def shell_redirect(self: Machine, command: Val, loc: Loc, frame: Frame) -> None:
        """A command that writes into the temp dir: a redirection, an output option
        (``curl -o``, ``wget -O``, ``tar -C``) or a destination argument (``cp``, ``aws s3 cp``)."""
        for tokens in self.command_tokens(command):
            if command_writes_tmp(tokens):
                self.tmp_writes.append(TmpWrite(loc, ConstV("/tmp"), "shell command", frame.info, frame.root))
                return

    def command_tokens(self: Machine, command: Val) -> list[list[str]]:
        """The command's words, a value under the temp dir spelled ``/tmp/?`` and an unknown one ``?``."""
        out = []
        for alt in alts(command):
            if isinstance(alt, SeqV):
                out.append([self.word(e) for e in alt.elts])
                continue
            text = self.word(alt)
            try:
                out.append(shlex.split(text))
            except ValueError:
                out.append(text.split())
        return out

    def word(self: Machine, value: Val, depth: int = 0) -> str:
        text = const_str(value)
        if text is not None:
            return text
        if self.is_tmp(value):
            return "/tmp/?"
        if isinstance(value, StrV) and depth < 8:
            return "".join(self.word(part, depth + 1) for part in value.parts)
        return "?"

    def mark_cleaned(self: Machine, start: int, removed: list[Val], frame_info: int) -> None:
        """Writes the ``try`` made, or that its function (or a helper it called) made before it
        (``fd, path = mkstemp()`` then ``try: ... finally: os.remove(path)``), whose path the
        ``finally`` removes, or that are inside a folder it removes."""
        if not removed:
            return
        for index in range(len(self.tmp_writes) - 1, -1, -1):
            write = self.tmp_writes[index]
            if index < start and write.frame < frame_info:
                break  # written before this function started (frames made since are its callees')
            if any(self.vals_equal(write.path, r) or inside(write.path, r, self.vals_equal) for r in removed):
                self.cleaned.add(index)


def path_of(value: Val) -> Val:
    """The path a path's text names (``str(p)``, ``os.fspath(p)``: ``p``, a ``Path`` being its
    text here), else ``value``."""
    while type(value) is CallV and value.recv is None and value.fn in PATH_TEXT and len(value.args) == 1:
        value = value.args[0]
    return value


def inside(path: Val, directory: Val, equal: Callable[[Val, Val], bool]) -> bool:
    """Is ``path`` a file or folder under ``directory`` (``os.path.join(work, name)``, ``work /
    name``, ``f"{work}/{name}"``): removing the directory (``shutil.rmtree(work)``) removes it."""
    folder = directory.parts if isinstance(directory, StrV) else (directory,)
    folder_text = const_str(directory)
    for alt in alts(path):
        text = const_str(alt)  # both constant (``Path("/tmp/b") / "theme.css"`` folded into one string)
        if text is not None and folder_text is not None and text.startswith(folder_text.rstrip("/") + "/"):
            return True
        if not isinstance(alt, StrV) or len(alt.parts) < len(folder):
            continue
        if not all(equal(mine, theirs) for mine, theirs in zip(alt.parts, folder[:-1])):
            continue
        last, here = folder[-1], alt.parts[len(folder) - 1]
        last_text, here_text = const_str(last), const_str(here)
        if last_text is not None and here_text is not None:
            if here_text.startswith(last_text.rstrip("/") + "/"):
                return True
            if here_text != last_text:
                continue
        elif not equal(here, last):
            continue
        following = const_str(alt.parts[len(folder)]) if len(alt.parts) > len(folder) else None
        if following is not None and following.startswith("/"):
            return True
    return False


def _is_tmp_word(word: str) -> bool:
    return word == "/tmp" or word.startswith("/tmp/")


def command_writes_tmp(tokens: list[str]) -> bool:
    """Whether a command's words write under /tmp (see dynolint.model.file_sinks)."""
    for index, token in enumerate(tokens):
        if token.lstrip("0123456789&").startswith(">"):
            rest = token.lstrip("0123456789&").lstrip(">|")
            target = rest or (tokens[index + 1] if index + 1 < len(tokens) else "")
            if _is_tmp_word(target):
                return True
    words = [t for t in tokens if t not in ("sudo", "env", "exec")]
    programs = [index for index, t in enumerate(words) if t.rsplit("/", 1)[-1] in COMMANDS
                or t.rsplit("/", 1)[-1] in POSITIONAL or t.rsplit("/", 1)[-1] in SUBCOMMANDS]
    for start in programs:
        program = words[start].rsplit("/", 1)[-1]
        args = words[start + 1:]
        for stop, arg in enumerate(args):  # the program's words end at a pipe or a command separator
            if arg in ("|", "&&", ";", "||"):
                args = args[:stop]
                break
        options = COMMANDS.get(program, frozenset())
        for index, arg in enumerate(args):
            name, eq, value = arg.partition("=")
            if eq and name in options and _is_tmp_word(value):
                return True
            if arg in options and index + 1 < len(args) and _is_tmp_word(args[index + 1]):
                return True
            if len(arg) > 2 and arg[:2] in options and not arg.startswith("--") and _is_tmp_word(arg[2:]):
                return True
        positional = [a for a in args if not a.startswith("-")]
        if program in POSITIONAL or (program in SUBCOMMANDS and positional
                                     and positional[0] in SUBCOMMANDS[program]):
            if len(positional) >= 2 and _is_tmp_word(positional[-1]):
                return True
    return False
