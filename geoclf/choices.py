"""The names and limits a setting may take, in a module that imports nothing heavy.

As rasterio's `enums.py`: the vocabulary the library checks against, the command
line offers (without importing torch, so `geoclf --help` answers at once) and
`geoclf describe` hands to the QGIS plugin.
"""

ACTIVATIONS = ("relu", "sigmoid", "tanh")
OPTIMIZERS = ("adam", "sgd")  # adam is AdamW: weight decay decoupled from the step
LR_SCHEDULES = ("cosine", "constant")
DEVICES = ("cpu", "cuda", "auto")
SCALINGS = ("standard", "minmax")
ENCODINGS = ("none", "fourier", "sinusoidal")
RESPONSES = ("auto", "threshold", "smooth")
CLASS_WEIGHTS = ("none", "balanced")
FOLD_METHODS = ("block", "cluster", "random", "polygon")  # cross-validation folds; block first, the default: random ones flatter a map
RESAMPLINGS = ("nearest", "bilinear", "cubic", "average")  # of covariate rasters onto the map's grid
CONFIDENCE_MEASURES = ("top", "entropy")

MAX_FEATURE_BINS = 256
MAX_FREQUENCIES = 256  # more are no sharper
MAX_OCTAVES = 24  # sinusoidal: scale x 2^23 cycles per spread is finer than float32 resolves; beyond, sin() is noise
MAX_EPOCHS = 100_000
MAX_WIDTH = 4096  # per hidden layer: 4096 x 4096 weights are 64 MB, far past what a map needs
MAX_LAYERS = 32
MAX_BLEND = 16  # networks in a blend (smoothness.py blends the ladder's rungs: 7 at most)
