# expect: {"status": ["ok"], "max_total": 12}
# [issue 10.9] Make TensorFlow log from inside the child (retracing warnings, absl lines): its
# logging must stay in the captured output, never between the instructor's progress lines.
import tensorflow as tf

_f = tf.function(lambda x: x + 1)
for _n in range(8):
    _f(tf.zeros((_n + 1,)))
tf.get_logger().warning("\x1b[31mretracing from a submission\x1b[0m")
