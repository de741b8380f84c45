# geoclf: the two quick-start commands, and the pieces they are made of.
#
#   make demo   spiral samples -> model -> class map -> PNG previews, in demo/
#   make test   the whole test suite: the library and CLI, then the QGIS plugin in a real QGIS
#
# Works on a fresh Debian machine: it installs what it needs (pip into .venv, QGIS from apt).

PYTHON ?= python3
VENV := .venv
QGIS_VENV := .qgis-venv
GEOCLF := $(VENV)/bin/geoclf
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
EXTENT := 199000,549000,201000,551000

.PHONY: demo test test-core test-quick test-plugin venv qgis plugin-description plugin-zip clean example-scratch example-cross-entropy example-why-relu example-four-features example-pond example-olinda

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	# the local CPU wheel: an unpinned torch would pull several GB of CUDA packages
	$(VENV)/bin/pip install --quiet torch==2.13.0
	$(VENV)/bin/pip install --quiet -e '.[test,dask]'
	touch $@

demo: venv
	mkdir -p demo
	cd demo && ../$(GEOCLF) make-samples spiral samples.gpkg --overwrite
	cd demo && ../$(GEOCLF) train samples.gpkg -o model.geoclf --val-fraction 0.2 --overwrite
	cd demo && ../$(GEOCLF) predict-raster "$(EXTENT)" -m model.geoclf -o classes.tif --probabilities probabilities.tif --overwrite
	cd demo && ../$(GEOCLF) plot class-map classes.tif --samples samples.gpkg -o classes.png --overwrite
	cd demo && ../$(GEOCLF) plot history model.geoclf -o training.png --overwrite
	@echo "demo/classes.tif (open it in QGIS: the legend shows the species), demo/classes.png, demo/training.png"

qgis: /usr/bin/qgis_process.bin
/usr/bin/qgis_process.bin:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends qgis python3-qgis

$(QGIS_VENV)/.installed: /usr/bin/qgis_process.bin
	/usr/bin/python3 -m venv --system-site-packages $(QGIS_VENV)
	$(QGIS_VENV)/bin/pip install --quiet pytest pytest-qgis
	touch $@

test-core: venv
	$(VENV)/bin/python -m pytest tests/core

test-plugin: venv $(QGIS_VENV)/.installed
	GEOCLF_EXECUTABLE=$(abspath $(GEOCLF)) QT_QPA_PLATFORM=offscreen \
		$(QGIS_VENV)/bin/python -m pytest tests/plugin --qgis_disable_gui

test: test-core test-plugin

# the library and CLI without the accuracy tests marked slow: a quicker check while working
test-quick: venv
	$(VENV)/bin/python -m pytest tests/core -m "not slow"

# the teaching texts, reproduced (pictures in examples/output/)
example-scratch: venv
	$(VENV)/bin/python examples/scratch_network.py

example-cross-entropy: venv
	$(VENV)/bin/python examples/cross_entropy.py

example-why-relu: venv
	$(VENV)/bin/python examples/why_relu.py

example-four-features: venv
	$(VENV)/bin/python examples/four_features.py

example-pond: venv
	$(VENV)/bin/python examples/pond.py

# a Landsat scene classified from training polygons: class map, sieve, polygons, areas with intervals, importance
example-olinda: venv
	$(VENV)/bin/python examples/olinda.py

# the plugin builds its training parameters from geoclf's own description of its settings
plugin-description: venv
	$(GEOCLF) describe --json > qgis_plugin/geoclf_processing/description.json.partial
	mv qgis_plugin/geoclf_processing/description.json.partial qgis_plugin/geoclf_processing/description.json

plugin-zip: plugin-description
	$(PYTHON) qgis_plugin/build_zip.py dist

clean:
	rm -rf $(VENV) $(QGIS_VENV) demo dist
