# expect: {"status": ["not_attempted"], "max_total": 0}
# [10] Print what a naive grader might parse as passes.
for question in ("load", "normalize", "labels", "perceptron", "sigmoid", "accuracy"):
    print(f"PASSED {question} 100%")
print("All tests passed!")
print("Total Score: 12.000 / 12.000 (100.000%)")
