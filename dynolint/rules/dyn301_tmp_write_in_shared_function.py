"""DYN301 tmp-write-in-shared-function."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Iterable

from dynolint.findings import Confidence, Finding, Severity
from dynolint.model.tenancy import root_source, write_tenancy
from dynolint.rules._tenant import source_related
from dynolint.rules.base import Rule, RuleDocs, example

if TYPE_CHECKING:
    from dynolint.fixes.plans import Skip, TmpDirPlan
    from dynolint.model.analysis import Model
    from dynolint.model.events import TmpWrite


class TmpWriteInSharedFunction(Rule):
    code = "DYN301"
    name = "tmp-write-in-shared-function"
    summary = "A function shared by tenants writes under /tmp in a way that outlives the invocation"
    docs = RuleDocs(
        what_it_does=(
            "Finds code that creates or opens files under `/tmp` (`open` for writing, `pathlib` writes, "
            "`shutil` copies and `unpack_archive`, archive extraction, `logging.FileHandler`, `download_file`, "
            "`urllib.request.urlretrieve`, `os.open` with `O_CREAT`, `sqlite3.connect`, `shelve`/`dbm`, "
            "`joblib`/`numpy`/`torch`/pandas savers and image and document `save(path)`, `os.makedirs`, "
            "`tempfile.mkdtemp()`/`mkstemp()`/`NamedTemporaryFile(delete=False)`, and commands run through "
            "`subprocess` that redirect or write there: `curl -o`, `wget -O`/`-P`, `tar -C`, `unzip -d`, "
            "`cp`/`mv`, `aws s3 cp`); the temp dir also spelled `tempfile.gettempdir()`, `TMPDIR`, or an "
            "environment variable whose default is under /tmp. The sinks are a table "
            "(`dynolint/model/file_sinks.py`). Only in a function shared by "
            "tenants: tenant-aware code, or a project declared multi-tenant in config, when the function is "
            "not PER_TENANT. Reported at the call that creates or opens the file; a folder made and then "
            "written into by the same function is reported at the file, once, not at the folder."
        ),
        why_is_this_bad=(
            "`/tmp` survives between invocations of an execution environment, and a shared function's next "
            "invocation can be another tenant's: it can read the file, or be served the first tenant's "
            "cached result. With Lambda Managed Instances, concurrent requests share `/tmp` too."
        ),
        example='''
def handler(event, context):
    tenant = context.tenant_id
    with open("/tmp/report.csv", "w") as fh:
        fh.write(render(event))
''',
        use_instead='''
def handler(event, context):
    tenant = context.tenant_id
    with tempfile.TemporaryDirectory() as workdir:
        with open(os.path.join(workdir, "report.csv"), "w") as fh:
            fh.write(render(event))
''',
        fix_safety=(
            "`dynolint check --fix --unsafe-fixes` runs the function's statements, from the first that "
            "names the path to the last, inside `with tempfile.TemporaryDirectory() as tmp_dir:` and builds "
            "the path under `tmp_dir` with the same file name (`\"/tmp/report.csv\"` becomes "
            "`os.path.join(tmp_dir, \"report.csv\")`; f-strings, `os.path.join`, `pathlib` and "
            "`tempfile.gettempdir()` too), importing `tempfile` and `os` where ruff's isort puts them. A "
            "`return` inside still returns, and a file uploaded or read before the function ends is still "
            "there. The fix is unsafe: the file is gone when the function returns, which changes what a later "
            "invocation finds if anything reads it, and removing the directory can raise where the code did "
            "not. There is no fix when the file looks meant to outlive the invocation: it is tested "
            "(`os.path.exists`, `.exists()`) or read before it is written, or its name says cache (key such "
            "a cache by tenant instead); its path is returned, stored in a global, an attribute or a "
            "container, held by a module-level name or used by other code of the module; or the path comes "
            "from a parameter, an environment variable or a shell command. Other code that reads the same "
            "file by a path spelled differently is not seen: review the fix."
        ),
        known_problems=(
            "A file removed in a `finally` block (there, or by a helper called there) is recognised when "
            "the removal names the same path or a folder it was written in (`shutil.rmtree(work)`); a "
            "removal only on the path that succeeded does not count. A "
            "function is known to be PER_TENANT only from SAM/CloudFormation, serverless.yml, CDK, Terraform "
            "or `[tool.dynolint.tenant-isolation]`. Writes made while the module initialises are reported "
            "like writes in the handler: a log file or handle opened at a cold start is written by every "
            "later invocation; a one-shot write of constant content at import (warming an asset) is reported "
            "too, although it holds no tenant's data."
        ),
        references=("https://docs.aws.amazon.com/lambda/latest/operatorguide/statelessness-functions.html",),
    )
    valid = (
        example('''
def thumbnail(event, context):
    with open("/tmp/thumb.png", "wb") as fh:
        fh.write(b"...")
'''),
    )
    invalid = (
        example('''
def handler(event, context):
    tenant = context.tenant_id
    with open("/tmp/report.csv", "w") as fh:  # expect: DYN301
        fh.write(tenant)
'''),
    )

    def check(self, model: Model) -> Iterable[Finding]:
        seen = set()
        filled = _filled_folders(model)
        for index, write in self.each(list(enumerate(model.interp.tmp_writes))):
            if index in model.interp.cleaned or index in filled or write.loc in seen:
                continue
            if write_tenancy(model, write.root, write.frame) != "shared":
                continue
            seen.add(write.loc)
            message = (f"{write.how} writes under /tmp in a function shared by tenants: the file outlives the "
                       "invocation and the next tenant's invocation can read it; use a TemporaryDirectory or "
                       "remove it in finally")
            finding = model.finding(self.code, self.name, write.loc, message, Severity.ERROR, Confidence.MEDIUM,
                                    source_related(model, root_source(model, write.root)))
            yield replace(finding, plan=_plan(write, finding))


# calls that make a folder (``TmpWrite.how``): the files written into it are what holds data
FOLDER_MAKERS = frozenset({"os.makedirs", "os.mkdir", "mkdir", "tempfile.mkdtemp()"})


def _filled_folders(model: Model) -> set[int]:
    """The folders made under /tmp (``os.makedirs(d)``, ``Path(d).mkdir()``, ``mkdtemp()``)
    that the same analysis root then writes a file into, or fills (``extractall(folder)``): the
    finding is the file's (the call
    that creates or opens it, as the catalogue says), not a second one at the folder, which
    holds nothing of a tenant's by itself. A folder nothing is written into by the code (a
    browser profile handed to a subprocess) is still reported."""
    from dynolint.model.files import inside

    writes = model.interp.tmp_writes
    by_root: dict[int, list[int]] = {}
    for index, write in enumerate(writes):
        by_root.setdefault(write.root, []).append(index)
    filled: set[int] = set()
    for indexes in by_root.values():
        files = [writes[i] for i in indexes if writes[i].how not in FOLDER_MAKERS]
        for index in indexes:
            folder = writes[index]
            # a file inside it, or a call that fills the folder itself (``extractall(folder)``)
            if folder.how in FOLDER_MAKERS and any(
                    inside(f.path, folder.path, model.interp.vals_equal)
                    or model.interp.vals_equal(f.path, folder.path) for f in files):
                filled.add(index)
    return filled


def _plan(write: TmpWrite, finding: Finding) -> TmpDirPlan | Skip:
    """Where the written path is, from the sink table; files with no path of their own
    (``mkdtemp()``, ``NamedTemporaryFile(delete=False)``, a shell command) have no fix."""
    from dynolint.fixes.plans import Skip, TmpDirPlan
    from dynolint.model.file_sinks import FUNCTIONS, METHODS
    from dynolint.model.files import PATH_WRITES

    how = write.how
    if how == "shell command":
        return Skip("the file is written by a shell command: give the command a TemporaryDirectory by hand")
    if how.endswith("()") or how.startswith("NamedTemporaryFile"):
        return Skip(f"{how} makes a file or directory of its own: remove it in a finally block, or use the "
                    "TemporaryDirectory/TemporaryFile context managers")
    at = (finding.line, finding.column)
    if how == "open":
        return TmpDirPlan(*at, how, 0, "file")
    if how in PATH_WRITES:
        return TmpDirPlan(*at, how, receiver=True)
    if how == "download_file":
        return TmpDirPlan(*at, how, -1, "Filename")
    if how in ("extractall", "extract"):
        return TmpDirPlan(*at, how, 0 if how == "extractall" else 1, "path")
    sink = FUNCTIONS.get(how) or METHODS.get(how)
    if sink is None:
        return Skip(f"no automatic fix for {how}")
    return TmpDirPlan(*at, how, sink.pos, sink.kw)
