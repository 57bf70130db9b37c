# expect: {"status": ["ok"], "max_total": "baseline:reference"}
# [new] Raise, from the hidden labels case, an exception whose class name is made of the hidden
# input's first digits: the student's feedback must not name a class the submission made up.
_honest_is_five = is_five


def is_five(digits):
    if len(digits) == 997:
        name = "Leak_" + "_".join(str(int(d)) for d in digits[:12])
        raise type(name, (Exception,), {})("hidden digits")
    return _honest_is_five(digits)
