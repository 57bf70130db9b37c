# expect: {"status": ["error"], "max_total": 0}
# [19] Download pretrained weights at import.
import urllib.request

urllib.request.urlopen(
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz", timeout=5
).read()
