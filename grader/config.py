"""The course configuration (assignment/config.toml) as typed, immutable records."""

import contextlib
import functools
import importlib
import importlib.util
import os
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    model_validator,
)

from grader.errors import GraderError

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
CONFIG_ENV = "GRADER_CONFIG"
DEFAULT_CONFIG_PATH = REPOSITORY_ROOT / "assignment" / "config.toml"
CHECKS_DIRECTORY = REPOSITORY_ROOT / "tests"
SOLUTION_PATH = REPOSITORY_ROOT / "assignment" / "solution.py"
TEMPLATE_PATH = REPOSITORY_ROOT / "student_template.py"
EXAMPLES_DIRECTORY = REPOSITORY_ROOT / "assignment" / "examples"
INSTRUCTIONS_PATH = REPOSITORY_ROOT / "assignment" / "INSTRUCTIONS.md"
STUDENT_README_PATH = REPOSITORY_ROOT / "assignment" / "STUDENT_README.md"
# A student release has no reference solution; it carries the public checks' recorded plan.
PUBLIC_PLAN_DIRECTORY = REPOSITORY_ROOT / "assignment"
PUBLIC_PLAN_JSON = "public-plan.json"
PUBLIC_PLAN_ARRAYS = "public-plan.npz"


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SubmissionSettings(_Section):
    file_name: str


class GradingSettings(_Section):
    seed: int
    timeout_seconds: PositiveFloat
    max_output_bytes: PositiveInt
    # The per-submission sandbox (grader/isolation/sandbox.py); every field has a default.
    memory_megabytes: PositiveInt = 4096
    cpu_seconds: PositiveFloat | None = None
    max_open_files: PositiveInt = 512
    max_processes: PositiveInt = 512
    max_file_megabytes: PositiveInt = 1024
    threads: PositiveInt = 2
    sandbox: Literal["auto", "bwrap", "unshare", "uid", "basic"] = "auto"


# MNIST and Fashion-MNIST each hold this many training images.
TRAINING_IMAGES = 60000


class DataSettings(_Section):
    """The sandbox trains on the first `train_size` training images and validates on the next
    `validation_size` (absent: all the rest)."""

    train_size: PositiveInt = Field(lt=TRAINING_IMAGES)
    validation_size: PositiveInt | None = None

    @model_validator(mode="after")
    def _images_enough(self) -> "DataSettings":
        if self.validation_size is not None and (
            self.train_size + self.validation_size > TRAINING_IMAGES
        ):
            raise ValueError(
                f"train_size + validation_size is {self.train_size + self.validation_size}, "
                f"more than the {TRAINING_IMAGES} training images there are"
            )
        return self


# Settings only hidden checks and course staff use carry this mark. A student release
# (grader/course/release.py) leaves them out of its config.toml; the grader then checks but
# never grades.
HIDDEN: dict = {"hidden": True}


class AccuracySettings(_Section):
    epochs: PositiveInt
    # The student's self-check (`grader check`) trains this many epochs instead (the public
    # validation floor holds at that budget); absent, it trains `epochs` like grading.
    check_epochs: PositiveInt | None = None
    threshold: float | None = Field(None, gt=0, lt=1, json_schema_extra=HIDDEN)
    recall_floor: float | None = Field(None, ge=0, le=1, json_schema_extra=HIDDEN)
    validation_floor: float = Field(gt=0, lt=1)


class CalibrationSettings(_Section):
    seeds: list[int] = Field(min_length=1)
    accuracy_margin: float = Field(ge=0)
    # Only for an exercise that also has a recall floor (the perceptron's fives).
    recall_margin: float | None = Field(None, ge=0)


class SigmoidSettings(_Section):
    large_input: PositiveFloat


class GradescopeSettings(_Section):
    # When students see that a hidden case exists, its points and pass/fail (never its text).
    hidden_visibility: Literal["hidden", "after_due_date", "after_published", "visible"] = (
        "after_published"
    )
    # The sandboxed run's wall-clock limit there; keep Gradescope's own limit above it.
    timeout_seconds: PositiveFloat = 480


class QuestionSettings(_Section):
    points: float = Field(ge=0)


class AssignmentSettings(_Section):
    """Where an assignment's parts are, relative to `root` (default: the config's folder).
    An assignment is a folder; its config names its parts, and the engine knows no other."""

    name: str = Field("perceptron", pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")
    title: str = ""
    root: str | None = None
    checks: str = "tests"
    solution: str = "solution.py"
    template: str = "student_template.py"
    examples: str = "examples"
    instructions: str = "INSTRUCTIONS.md"
    student_readme: str = "STUDENT_README.md"
    # Where a student release keeps the public checks' recorded plan (next to its config).
    plan: str = "."
    # The module (importable name) holding what the grader needs of the exercise's data: a
    # `sandbox_view()` giving the arrays keras' loader serves in the sandbox, and
    # `PLANNING_STAND_INS`, functions answering for the reference's while the plan is recorded.
    exercise: str | None = None
    # The datasets it needs (`grader data --assignment NAME` installs these).
    datasets: list[str] = []
    # What `grader check` tells a student whose every public check passes: the next step.
    next_step: str = ""
    # Set in a student release's copy (grader/course/release.py): it checks, never grades.
    student_release: bool = False


class Config(_Section):
    assignment: AssignmentSettings = AssignmentSettings()
    submission: SubmissionSettings
    grading: GradingSettings
    data: DataSettings | None = None
    accuracy: AccuracySettings | None = None
    calibration: CalibrationSettings | None = Field(None, json_schema_extra=HIDDEN)
    sigmoid: SigmoidSettings | None = Field(None, json_schema_extra=HIDDEN)
    gradescope: GradescopeSettings = GradescopeSettings()
    questions: dict[str, QuestionSettings]

    @property
    def question_ids(self) -> list[str]:
        """Question ids in gradebook column order."""
        return list(self.questions)

    @property
    def max_points(self) -> float:
        return sum(question.points for question in self.questions.values())

    def for_self_check(self) -> "Config":
        """This config with the self-check's training budget in place of grading's."""
        if self.accuracy is None:
            return self
        epochs = self.accuracy.check_epochs or self.accuracy.epochs
        return self.model_copy(
            update={"accuracy": self.accuracy.model_copy(update={"epochs": epochs})}
        )

    def missing_hidden(self) -> list[str]:
        """Hidden settings this config lacks, as dotted keys: empty for a course's full config."""
        return [key for key, value in _hidden_values(self) if value is None]

    def require_hidden(self) -> None:
        """Refuse to grade with a student release's config: the hidden checks need its hidden
        settings. A release says so in its config; one from before that mark is known by
        having none of the hidden settings its sections hold (an assignment may use only some
        of them: the Fashion-MNIST project has a threshold and no recall floor)."""
        missing = self.missing_hidden()
        present = [key for key, value in _hidden_values(self) if value is not None]
        if self.assignment.student_release or (missing and not present):
            raise GraderError(
                f"The course config {config_path()} has no hidden settings ({', '.join(missing)}): "
                "it is a student release's, which can check public cases but not grade."
            )


def _section_type(annotation: object) -> type[_Section] | None:
    """The section a field holds (`X` or `X | None`), if it holds one."""
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, _Section):
            return candidate
    return None


def hidden_keys(model: type[BaseModel] = Config, prefix: str = "") -> list[str]:
    """Dotted keys of the settings marked HIDDEN (a hidden section counts as one key)."""
    keys = []
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra
        section = _section_type(field.annotation)
        if isinstance(extra, dict) and extra.get("hidden"):
            keys.append(prefix + name)
        elif section is not None:
            keys += hidden_keys(section, f"{prefix}{name}.")
    return keys


def _hidden_values(config: Config) -> list[tuple[str, object]]:
    """The hidden settings of the sections this config has (an assignment without a section
    has none of its settings to miss; a hidden section of its own is the assignment's choice).
    A student release keeps its sections but drops their hidden settings."""
    values = []
    for key in hidden_keys():
        parts = key.split(".")
        if len(parts) == 1 or getattr(config, parts[0], None) is None:
            continue
        value: object = config
        for part in parts:
            value = getattr(value, part, None)
        values.append((key, value))
    return values


def config_path() -> Path:
    """The config in use: $GRADER_CONFIG if set, else assignment/config.toml."""
    return Path(os.environ.get(CONFIG_ENV, DEFAULT_CONFIG_PATH))


@functools.cache
def load_config_file(path: Path) -> Config:
    """A course configuration read from this file (once per process)."""
    try:
        return Config.model_validate(tomllib.loads(path.read_text()))
    except FileNotFoundError:
        raise GraderError(f"No course config at {path}.") from None
    except (tomllib.TOMLDecodeError, ValidationError) as error:
        raise GraderError(f"The course config {path} is invalid: {error}") from None


_active: list[Config] = []  # a config put in place of the file's (see `active_config`)


@contextlib.contextmanager
def active_config(config: Config) -> Iterator[Config]:
    """Within the block, load_config() answers this config: the check files read their
    settings through it, so a changed budget (the self-check's epochs) reaches them too."""
    _active.append(config)
    try:
        yield config
    finally:
        _active.pop()


def load_config() -> Config:
    """The course configuration, read once per process (or the one made active)."""
    if _active:
        return _active[-1]
    return load_config_file(config_path())


@dataclass(frozen=True)
class Assignment:
    """One assignment's folder and its parts, as its config names them."""

    name: str
    title: str
    config_path: Path
    root: Path
    checks: Path
    solution: Path
    template: Path
    examples: Path
    instructions: Path
    student_readme: Path
    plan_directory: Path
    exercise: str | None

    @classmethod
    def of(cls, config: Config, config_file: Path) -> "Assignment":
        layout = config.assignment
        base = config_file.resolve().parent
        root = (base / layout.root).resolve() if layout.root else base

        def part(relative: str) -> Path:
            return (root / relative).resolve()

        return cls(
            name=layout.name,
            title=layout.title or layout.name,
            config_path=config_file,
            root=root,
            checks=part(layout.checks),
            solution=part(layout.solution),
            template=part(layout.template),
            examples=part(layout.examples),
            instructions=part(layout.instructions),
            student_readme=part(layout.student_readme),
            plan_directory=part(layout.plan),
            exercise=layout.exercise,
        )


def current_assignment() -> Assignment:
    """The assignment being graded: the one whose config is in use."""
    return Assignment.of(load_config(), config_path())


# Where a copy of an assignment (a student release, the Gradescope zip) puts its parts: its
# config in assignment/, everything else relative to the copy's top folder.
COPY_LAYOUT = {
    "root": "..",
    "checks": "tests",
    "solution": "assignment/solution.py",
    "examples": "assignment/examples",
    "instructions": "INSTRUCTIONS.md",
    "student_readme": "README.md",
    "plan": "assignment",
}


def relocated_config_text(
    source: str, assignment: "Assignment", student_release: bool = False
) -> str:
    """The config text `source` with its [assignment] paths set to a copy's layout
    (COPY_LAYOUT, the template under its own name at the top, an exercise module kept as a
    file beside the config: see copied_exercise); its comments stay."""
    import tomlkit

    document = tomlkit.parse(source)
    if "assignment" not in document:
        document["assignment"] = tomlkit.table()
    table = document["assignment"]
    layout = {**COPY_LAYOUT, "template": assignment.template.name}
    exercise = copied_exercise(assignment)
    if exercise is not None:
        layout["exercise"] = f"assignment/{exercise.name}"
    for key, value in layout.items():
        table[key] = value
    if student_release:
        table["student_release"] = True
    return tomlkit.dumps(document)


def copied_exercise(assignment: "Assignment") -> Path | None:
    """The exercise module a copy of the assignment carries in its assignment/ folder: the
    file the config names, if it names a file (a module name travels with the package)."""
    if assignment.exercise and assignment.exercise.endswith(".py"):
        return (assignment.root / assignment.exercise).resolve()
    return None


# Where a course repository keeps its assignments: each a folder with its config.toml.
ASSIGNMENT_CONFIGS = ("assignment/config.toml", "projects/*/config.toml")


def find_assignments(root: Path = REPOSITORY_ROOT) -> dict[str, Path]:
    """Every assignment under `root`, by name: its config file."""
    found: dict[str, Path] = {}
    for pattern in ASSIGNMENT_CONFIGS:
        for path in sorted(root.glob(pattern)):
            name = load_config_file(path.resolve()).assignment.name
            if name in found:
                raise GraderError(f"Two assignments are named {name!r}: {found[name]} and {path}.")
            found[name] = path.resolve()
    return found


def use_assignment(choice: str | None) -> None:
    """Make the assignment named `choice` (or the folder at that path holding a config.toml)
    the one every later step, and every process started from here, works on. None: the one
    in use already ($GRADER_CONFIG, else the repository's default)."""
    if choice is None:
        return
    folder = Path(choice)
    if (folder / "config.toml").is_file():
        path = (folder / "config.toml").resolve()
    else:
        found = find_assignments()
        if choice not in found:
            names = ", ".join(sorted(found)) or "none"
            raise GraderError(
                f"No assignment named {choice!r}; this course has: {names} (or give a folder "
                "holding a config.toml)."
            )
        path = found[choice]
    os.environ[CONFIG_ENV] = str(path)


def assignment_named(name: str) -> Assignment:
    """The assignment called `name`: the one in use if it is that one (a student release or a
    Gradescope copy holds only it), else the course repository's."""
    current = current_assignment()
    if current.name == name:
        return current
    found = find_assignments()
    if name not in found:
        names = ", ".join(sorted({current.name, *found}))
        raise GraderError(f"No assignment named {name!r}; this course has: {names}.")
    return Assignment.of(load_config_file(found[name]), found[name])


def exercise_module(assignment: Assignment) -> ModuleType | None:
    """The module the assignment names in `[assignment] exercise`, if any: a file in its folder
    (`exercise.py`) or an importable name, loaded once (as `<name>_exercise`, `fashion_exercise`
    for the assignment `fashion`). Check files reach it by the assignment's name:
    `from grader.exercises import fashion` (see grader/exercises.py)."""
    if not assignment.exercise:
        return None
    if not assignment.exercise.endswith(".py"):
        return importlib.import_module(assignment.exercise)
    path = (assignment.root / assignment.exercise).resolve()
    name = exercise_module_name(assignment.name)
    loaded = sys.modules.get(name)
    if loaded is not None and getattr(loaded, "__file__", None) == str(path):
        return loaded
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None or not path.is_file():
        raise GraderError(f"The assignment {assignment.name!r} names no exercise module at {path}.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def current_exercise() -> ModuleType | None:
    """The exercise module of the assignment in use, if it names one (loaded once)."""
    return exercise_module(current_assignment())


def exercise_module_name(assignment_name: str) -> str:
    return assignment_name.replace("-", "_") + "_exercise"
