"""Each assignment's exercise module, by the assignment's name, for its check files:

    from grader.exercises import perceptron

loads the exercise module the perceptron's config names (`[assignment] exercise`), once. The
engine knows no assignment by name: the name is looked up among the course's assignments (the
one in use first), so the same check file works in the repository, in a student release, in the
Gradescope zip and under stock otter, which imports check files knowing nothing of the grader.
"""

from types import ModuleType


def __getattr__(name: str) -> ModuleType:
    if name.startswith("_"):
        raise AttributeError(name)
    from grader.config import assignment_named, exercise_module
    from grader.errors import GraderError

    try:
        assignment = assignment_named(name.replace("_", "-"))
    except GraderError as error:  # no such assignment: what hasattr() expects, with the names
        raise AttributeError(str(error), name=name) from None
    module = exercise_module(assignment)
    if module is None:
        raise AttributeError(f"The assignment {name!r} names no exercise module.", name=name)
    return module
