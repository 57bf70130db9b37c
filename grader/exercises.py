"""Each assignment's exercise module, by the assignment's name, for its check files:

    from grader.exercises import perceptron

loads the exercise module the perceptron's config names (`[assignment] exercise`), once. The
engine knows no assignment by name: the name is looked up among the course's assignments (the
one in use first), so the same check file works in the repository, in a student release, in the
Gradescope zip and under stock otter, which imports check files knowing nothing of the grader.
"""

from types import ModuleType


def __getattr__(name: str) -> ModuleType:
    if name.startswith("__"):
        raise AttributeError(name)
    from grader.config import assignment_named, exercise_module
    from grader.errors import GraderError

    try:
        module = exercise_module(assignment_named(name.replace("_", "-")))
    except GraderError as error:
        raise ImportError(str(error), name=f"grader.exercises.{name}") from None
    if module is None:
        raise ImportError(f"The assignment {name!r} names no exercise module.", name=name)
    return module
