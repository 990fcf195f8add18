# The two commands of README: `make demo` and `make test`. Both start with the same set-up.
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: setup demo test test-faults lint format clean image image-check

setup:
	@scripts/setup.sh

demo: setup
	$(BIN)/madoguchi demo

# Import rules first (layers, independence, one owner per library: docs/architecture.md), then style.
lint: setup
	VENV=$(VENV) scripts/lint-imports.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	scripts/run-tests.sh $(PYTEST_ARGS)

# The full fault counts of issue 23 (docs/reliability.md): 1,000 power cuts, 35 terminals x 72 h.
FAULT_REPORT_DIR ?= fault-report
test-faults: setup
	mkdir -p $(FAULT_REPORT_DIR)
	MADOGUCHI_FAULT_POINTS=1000 MADOGUCHI_FAULT_REPORT=$(FAULT_REPORT_DIR)/power.json \
	MADOGUCHI_FAULT_PARTITION_REPORT=$(FAULT_REPORT_DIR)/partition.json \
	MADOGUCHI_FAULT_CENTRAL_POINTS=1000 MADOGUCHI_FAULT_CENTRAL_REPORT=$(FAULT_REPORT_DIR)/central.json \
	$(BIN)/python -m pytest -p no:cacheprovider tests/madoguchi/faults/test_faults_checker.py \
	tests/madoguchi/faults/test_faults_powerloss.py tests/madoguchi/faults/test_faults_central.py tests/madoguchi/faults/test_faults_clock.py \
	tests/madoguchi/faults/test_faults_disk.py \
	tests/madoguchi/faults/test_faults_partition.py tests/madoguchi/faults/test_faults_bad_inputs.py $(PYTEST_ARGS)

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) demo-out fault-report .pytest_cache build *.egg-info

# The kiosk image from Debian's archive (issue 24, docs/image.md): needs root, installs the
# build tools of image_build/build-packages.txt. Not part of `make test`.
IMAGE_OUT ?= image-out
image: setup
	apt-get install -y --no-install-recommends $$(grep -v '^#' image_build/build-packages.txt)
	nice -n 19 image_build/debian/build-image.sh $(IMAGE_OUT)

# Boots $(IMAGE_OUT)/madoguchi.img under qemu-system-aarch64 and checks first boot on the serial console.
image-check:
	image_build/debian/check-image.sh $(IMAGE_OUT)
