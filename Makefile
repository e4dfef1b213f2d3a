# The front door. Every target first installs what is missing (scripts/bootstrap).
#   make demo    Release build, then a whole local deployment: GMS, relay, alice, bob and carol
#   make build   Release build; programs in build/bin/
#   make test    Debug build with AddressSanitizer + UndefinedBehaviorSanitizer, then every suite
#   make fuzz    libFuzzer targets (clang++), each run for FUZZ_SECONDS (default 60)
#   make bench   Release build, then the benchmarks recorded in docs/performance.md
#   make format  clang-format over the tree;  make tidy  clang-tidy over src/ and apps/

JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?=

.PHONY: all bootstrap build demo test fuzz bench format tidy clean

all: build

bootstrap:
	@scripts/bootstrap

build: bootstrap
	cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTWOFOLD_TESTS=OFF $(CMAKE_FLAGS)
	cmake --build build -j $(JOBS)

demo: build
	scripts/demo build/bin

test: bootstrap
	cmake -S . -B build-debug -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTWOFOLD_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build build-debug -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir build-debug --output-on-failure -j $(JOBS)

fuzz: bootstrap
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DTWOFOLD_FUZZ=ON -DTWOFOLD_TESTS=OFF $(CMAKE_FLAGS)
	cmake --build build-fuzz -j $(JOBS) --target fuzzers
	scripts/run-fuzzers build-fuzz/bin $(FUZZ_SECONDS)

bench: build
	scripts/run-benchmarks build/bin

format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

tidy: bootstrap
	cmake -S . -B build-debug -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTWOFOLD_SANITIZE=ON $(CMAKE_FLAGS)
	git ls-files 'src/*.cpp' 'apps/*.cpp' | xargs -P $(JOBS) -n 4 clang-tidy -p build-debug --quiet \
	  --extra-arg=-Wno-unknown-warning-option --extra-arg=-DASIO_HAS_CO_AWAIT=1 --extra-arg=-DASIO_HAS_STD_COROUTINE=1

clean:
	rm -rf build build-debug build-fuzz
