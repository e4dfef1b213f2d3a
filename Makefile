# The front door. Every target first installs what is missing (scripts/bootstrap).
#   make demo    Release build, then a whole local deployment: GMS, relay, alice, bob and carol
#   make build   Release build; programs in build/bin/
#   make test    Debug build with AddressSanitizer + UndefinedBehaviorSanitizer, then every suite
#   make tsan    ThreadSanitizer build (build-tsan/) of the GMS and relay servers and suites, then
#                those suites; fails on a race in a test or a server it starts. Not in `make test`
#   make fuzz    libFuzzer targets (clang++), each run for FUZZ_SECONDS (default 60)
#   make bench   Release build, then the benchmarks recorded in docs/performance.md
#   make format  clang-format over the tree;  make tidy  clang-tidy over src/ and apps/

JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?=

.PHONY: all bootstrap build demo test tsan fuzz bench format tidy clean

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

# The servers are the multi-threaded code (commit thread, password worker): their suites only.
# Reports go to files, so races in the server processes the tests start are caught too.
TSAN_TARGETS = gms_tests gms_process_tests relay_core_tests relay_service_tests relay_process_tests \
	twofold-gms twofold-relay
tsan: bootstrap
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTWOFOLD_SANITIZE=thread $(CMAKE_FLAGS)
	cmake --build build-tsan -j $(JOBS) --target $(TSAN_TARGETS)
	rm -rf build-tsan/tsan-reports && mkdir build-tsan/tsan-reports
	export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 log_path=$(CURDIR)/build-tsan/tsan-reports/report"; \
	  ctest --test-dir build-tsan/tests/gms --output-on-failure -j $(JOBS); gms=$$?; \
	  ctest --test-dir build-tsan/tests/relay --output-on-failure -j $(JOBS); relay=$$?; \
	  if ls build-tsan/tsan-reports/report.* >/dev/null 2>&1; then cat build-tsan/tsan-reports/report.*; exit 1; fi; \
	  test $$gms -eq 0 && test $$relay -eq 0

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
