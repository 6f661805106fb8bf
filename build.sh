#!/usr/bin/env bash
# NativeSftp build entry point. The README's commands, CI (.ci/run) and developers all go through here.
#   ./build.sh test    install what is missing, build Release, run every test, print "N passed, N failed"
#   ./build.sh demo    start a throwaway loopback sshd and show the main job end to end
#   ./build.sh stress  the long runs: exhaustive matrices and randomized fault injection
#   ./build.sh bench   the throughput comparison (NativeSftp, nsftp, OpenSSH sftp, SSH.NET) and micro-benchmarks
#   ./build.sh publish nsftp as a native executable (Native AOT) in artifacts/nsftp/
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
ARTIFACTS="$ROOT/artifacts"

say() { printf '==> %s\n' "$*" >&2; }

ensure_openssh() {
  if [ -x /usr/sbin/sshd ] && [ -x /usr/lib/openssh/sftp-server ] && command -v ssh-keygen >/dev/null && command -v sftp >/dev/null; then
    return 0
  fi
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    say "installing openssh-server, openssh-sftp-server and openssh-client with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server openssh-sftp-server openssh-client >/dev/null
  else
    echo "OpenSSH server is missing. Install it with: sudo apt-get install -y openssh-server openssh-sftp-server openssh-client" >&2
    exit 1
  fi
}

# ProFTPD's mod_sftp and dropbear: the interop tests' other SSH servers, independent of OpenSSH's.
ensure_interop_servers() {
  if [ -x /usr/sbin/proftpd ] && [ -f /usr/lib/proftpd/mod_sftp.so ] && [ -x /usr/sbin/dropbear ] && [ -x /usr/bin/dropbearkey ]; then
    return 0
  fi
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    say "installing proftpd-core, proftpd-mod-crypto (mod_sftp) and dropbear-bin with apt-get; no service is started"
    # The tests start their own instance on a loopback port: keep the package from starting one on port 21.
    local policy=/usr/sbin/policy-rc.d added=""
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && added=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq proftpd-core proftpd-mod-crypto dropbear-bin >/dev/null
    if [ -n "$added" ]; then rm -f "$policy"; fi
  else
    echo "ProFTPD or dropbear is missing. Install them with: sudo apt-get install -y proftpd-core proftpd-mod-crypto dropbear-bin" >&2
    exit 1
  fi
}

# Native AOT links nsftp with the system's C toolchain (clang, else gcc), the C library's start files and zlib
# (the ILCompiler package here ships no libz.a of its own, so it links the system's). Returns non-zero if missing.
ensure_native_toolchain() {
  if { command -v clang >/dev/null || command -v gcc >/dev/null; } \
    && ls /usr/lib/*/crt1.o >/dev/null 2>&1 \
    && { [ -e /usr/include/zlib.h ] || ls /usr/lib/*/libz.so >/dev/null 2>&1; }; then
    return 0
  fi
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    say "installing gcc, libc6-dev and zlib1g-dev with apt-get (they link the native nsftp)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev zlib1g-dev >/dev/null
  else
    echo "A C compiler, the C library's headers and zlib are needed to link the native nsftp. Install them with: sudo apt-get install -y gcc libc6-dev zlib1g-dev" >&2
    return 1
  fi
}

# nsftp as a native executable (Native AOT): artifacts/nsftp/nsftp, no .NET runtime needed to run it. Sets
# NSFTP_NATIVE; returns non-zero (after saying why) when it cannot be made, so a caller can report it.
publish_native() {
  ensure_native_toolchain || return 1
  local rid
  case "$(uname -m)" in
    x86_64) rid=linux-x64 ;;
    aarch64 | arm64) rid=linux-arm64 ;;
    *) echo "no Native AOT runtime identifier for $(uname -m)" >&2; return 1 ;;
  esac
  say "publishing nsftp as a native executable (Native AOT, $rid)"
  rm -rf "$ARTIFACTS/nsftp"
  dotnet publish "$ROOT/src/NativeSftp.Cli/NativeSftp.Cli.csproj" -c Release -r "$rid" -p:PublishAot=true \
    -nologo -v quiet -clp:ErrorsOnly -o "$ARTIFACTS/nsftp" >&2 || { echo "the native publish failed (output above)" >&2; return 1; }
  NSFTP_NATIVE="$ARTIFACTS/nsftp/nsftp"
  if [ ! -x "$NSFTP_NATIVE" ]; then
    echo "the native publish made no $NSFTP_NATIVE" >&2
    return 1
  fi
  # The debug symbols are a separate 14 MB file; the executable is what users run.
  rm -f "$ARTIFACTS/nsftp/nsftp.dbg" "$ARTIFACTS/nsftp/"*.pdb "$ARTIFACTS/nsftp/"*.xml
}

cmd_publish() {
  ensure_dotnet
  publish_native || exit 1
  say "native nsftp: $NSFTP_NATIVE ($(du -h "$NSFTP_NATIVE" | cut -f1)); copy it anywhere on PATH"
}

ensure_dotnet() {
  if ! command -v dotnet >/dev/null; then
    echo "The .NET SDK (10.0 or later) is required: https://dotnet.microsoft.com/download" >&2
    exit 1
  fi
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
}

build() {
  say "building (Release)"
  dotnet build "$ROOT/NativeSftp.sln" -c Release -nologo -v quiet -clp:ErrorsOnly
}

cmd_test() {
  ensure_dotnet
  ensure_openssh
  ensure_interop_servers
  build
  local results="$ARTIFACTS/test-results"
  rm -rf "$results"
  mkdir -p "$results"
  say "running tests"
  local rc=0
  local filter="${NSFTP_TEST_FILTER:-TestCategory!=Stress}"
  local projects=("$ROOT/tests/NativeSftp.Tests/NativeSftp.Tests.csproj")
  # The benchmark harness's own tests (its delay line and table arithmetic) run with the regular suite only.
  if [ -z "${NSFTP_TEST_FILTER:-}" ]; then
    projects+=("$ROOT/benchmarks/NativeSftp.Throughput.Tests/NativeSftp.Throughput.Tests.csproj")
  fi
  local project name expected=${#projects[@]}
  for project in "${projects[@]}"; do
    name=$(basename "$project" .csproj)
    dotnet test "$project" -c Release --no-build -nologo --filter "$filter" \
      --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
      --results-directory "$results" --blame-hang-timeout 8m --blame-hang-dump-type none "$@" || rc=$?
  done
  # Every test that runs nsftp as a process, again against the native (Native AOT) executable users are given:
  # code that breaks only when compiled ahead of time fails here.
  local native_failed=0 native_trx="NativeSftp.Tests.native-nsftp.trx"
  if [ -z "${NSFTP_TEST_FILTER:-}" ]; then
    if publish_native; then
      say "running the nsftp process tests against the native executable ($NSFTP_NATIVE)"
      expected=$((expected + 1))
      NSFTP_EXECUTABLE="$NSFTP_NATIVE" dotnet test "$ROOT/tests/NativeSftp.Tests/NativeSftp.Tests.csproj" -c Release --no-build -nologo \
        --filter "TestCategory=NsftpProcess" \
        --logger "trx;LogFileName=$native_trx" --logger "console;verbosity=normal" \
        --results-directory "$results" --blame-hang-timeout 8m --blame-hang-dump-type none "$@" || rc=$?
    else
      echo "the native nsftp could not be made, so its tests could not run (counted as one failure)" >&2
      native_failed=1
      rc=1
    fi
  fi
  local trx counters total=0 passed=0 failed=$native_failed t p f found=0
  for trx in "$results"/*.trx; do
    [ -f "$trx" ] || continue
    found=$((found + 1))
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    t=$(sed -E 's/.* total="([0-9]+)".*/\1/' <<<"$counters")
    p=$(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$counters")
    f=$(sed -E 's/.* failed="([0-9]+)".*/\1/' <<<"$counters")
    total=$((total + t)); passed=$((passed + p)); failed=$((failed + f))
    if [ "$t" -eq 0 ]; then
      echo "$(basename "$trx") ran no test" >&2
      failed=$((failed + 1))
      rc=1
    fi
  done
  if [ "$found" -lt "$expected" ]; then
    echo "a test project wrote no results" >&2
    failed=$((failed + 1))
    rc=1
  fi
  local skipped=$((total - passed - failed))
  [ "$skipped" -lt 0 ] && skipped=0
  if [ "$total" -eq 0 ]; then
    echo "no tests ran" >&2
    rc=1
  fi
  if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
  else
    echo "$passed passed, $failed failed"
  fi
  if [ "$failed" -gt 0 ] && [ "$rc" -eq 0 ]; then rc=1; fi
  exit "$rc"
}

# A throwaway sshd on loopback with keys generated in a temporary folder; prints "PORT DIR".
start_demo_sshd() {
  local dir=$1 port
  mkdir -p /run/sshd 2>/dev/null || true
  ssh-keygen -q -t ed25519 -N '' -f "$dir/host_ed25519"
  ssh-keygen -q -t ed25519 -N '' -f "$dir/id_ed25519"
  cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)))
  cat >"$dir/sshd_config" <<CFG
ListenAddress 127.0.0.1:$port
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin yes
PasswordAuthentication no
KbdInteractiveAuthentication no
Subsystem sftp internal-sftp
CFG
  /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
    sleep 0.1
  done
  echo "sshd did not start; log:" >&2
  cat "$dir/sshd.log" >&2
  return 1
}

cmd_demo() {
  ensure_dotnet
  ensure_openssh
  build
  # The native executable (what ./build.sh publish gives users); NSFTP_DEMO_JIT=1 runs the framework-dependent build.
  local nsftp="$ROOT/src/NativeSftp.Cli/bin/Release/net10.0/nsftp"
  if [ -z "${NSFTP_DEMO_JIT:-}" ]; then
    publish_native || exit 1
    nsftp=$NSFTP_NATIVE
  fi
  local port
  DEMO_DIR=$(mktemp -d /tmp/nsftp-demo.XXXXXX)
  local dir=$DEMO_DIR
  trap 'if [ -f "$DEMO_DIR/sshd.pid" ]; then kill "$(cat "$DEMO_DIR/sshd.pid")" 2>/dev/null || true; fi; rm -rf "$DEMO_DIR"' EXIT
  say "starting a throwaway sshd on 127.0.0.1 (keys in $dir)"
  port=$(start_demo_sshd "$dir")
  say "sshd listening on 127.0.0.1:$port"
  say "making 1 GiB of random data"
  head -c 1073741824 /dev/urandom >"$dir/big.bin"
  local url="sftp://$(id -un)@127.0.0.1:$port$dir/uploaded.bin"
  say "uploading with: nsftp put big.bin $url"
  "$nsftp" put -i "$dir/id_ed25519" --host-key-policy accept-new --known-hosts "$dir/known_hosts" \
    --progress "${NSFTP_DEMO_PROGRESS:-auto}" "$dir/big.bin" "$url"
  say "checking independently: sha256sum of both files"
  local a b
  a=$(sha256sum <"$dir/big.bin" | cut -d' ' -f1)
  b=$(sha256sum <"$dir/uploaded.bin" | cut -d' ' -f1)
  echo "local  $a"
  echo "remote $b"
  if [ "$a" != "$b" ]; then
    echo "MISMATCH" >&2
    return 1
  fi
  say "downloading it back with: nsftp get $url"
  "$nsftp" get -i "$dir/id_ed25519" --known-hosts "$dir/known_hosts" --progress "${NSFTP_DEMO_PROGRESS:-auto}" "$url" "$dir/back.bin"
  cmp "$dir/big.bin" "$dir/back.bin"
  say "demo complete: 1 GiB up and down, verified by SHA-256 on both ends"
}

ensure_gnu_time() {
  if [ -x /usr/bin/time ]; then return 0; fi
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    say "installing GNU time (the throughput comparison reads each client's CPU time and peak RSS from it)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
  else
    echo "GNU time is missing. Install it with: sudo apt-get install -y time" >&2
    exit 1
  fi
}

# ./build.sh bench [--quick] [--micro-only | --e2e-only] [throughput harness arguments...]
#   the end-to-end comparison (benchmarks/NativeSftp.Throughput: NativeSftp vs OpenSSH sftp vs SSH.NET on loopback
#   and through a 50 ms delay line), then the BenchmarkDotNet micro-benchmarks with a short job.
#   --quick: 256 MiB loopback / 64 MiB at 50 ms, 1 run, and only the hot-path micro-benchmarks.
#   Environment: NSFTP_BENCH_SIZE_MIB, NSFTP_BENCH_LATENCY_SIZE_MIB, NSFTP_BENCH_RUNS, NSFTP_BENCH_SETTINGS
#   (loopback,latency), NSFTP_BENCH_CLIENTS (nativesftp,nsftp,openssh,sshnet), NSFTP_BENCH_NSFTP (a native nsftp to run
#   instead of publishing one), BENCH_FILTER and BENCH_JOB (micro).
#   Tables land in artifacts/bench/.
cmd_bench() {
  ensure_dotnet
  local quick="" micro=1 e2e=1 harness_args=()
  for a in "$@"; do
    case "$a" in
      --quick) quick=1; harness_args+=(--quick) ;;
      --micro-only) e2e="" ;;
      --e2e-only) micro="" ;;
      *) harness_args+=("$a") ;;
    esac
  done
  local out="$ARTIFACTS/bench"
  mkdir -p "$out"
  if [ -n "$e2e" ]; then
    ensure_openssh
    ensure_gnu_time
    say "building the throughput harness (Release)"
    dotnet build "$ROOT/benchmarks/NativeSftp.Throughput/NativeSftp.Throughput.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly
    # The nsftp rows run the native tool as users get it (published here unless given, or left out of --clients).
    local clients="${NSFTP_BENCH_CLIENTS:-nsftp}" i
    for ((i = 0; i < ${#harness_args[@]}; i++)); do
      if [ "${harness_args[$i]}" = "--clients" ] && [ $((i + 1)) -lt ${#harness_args[@]} ]; then clients=${harness_args[$((i + 1))]}; fi
    done
    if [[ ",$clients," == *",nsftp,"* ]] && [[ " ${harness_args[*]} " != *" --nsftp "* ]] && [ -z "${NSFTP_BENCH_NSFTP:-}" ]; then
      publish_native || exit 1
      harness_args+=(--nsftp "$NSFTP_NATIVE")
    fi
    say "throughput comparison (this takes a while on a small machine; --quick for a short run)"
    "$ROOT/benchmarks/NativeSftp.Throughput/bin/Release/net10.0/NativeSftp.Throughput" --output "$out/throughput.md" "${harness_args[@]}"
  fi
  if [ -n "$micro" ]; then
    local filter="${BENCH_FILTER:-*}"
    if [ -n "$quick" ] && [ -z "${BENCH_FILTER:-}" ]; then filter='*HotPath*'; fi
    say "BenchmarkDotNet micro-benchmarks (Release, job ${BENCH_JOB:-short}, filter $filter)"
    (cd "$out" && dotnet run -c Release --project "$ROOT/benchmarks/NativeSftp.Benchmarks" -- \
      --filter "$filter" --job "${BENCH_JOB:-short}" --artifacts "$out/micro")
    say "micro-benchmark tables: $out/micro/results/*-github.md"
  fi
}

# The long randomized and exhaustive runs (not part of ./build.sh test's 15-minute budget).
cmd_stress() {
  NSFTP_TEST_FILTER="TestCategory=Stress" cmd_test "$@"
}

case "${1:-}" in
  test) shift; cmd_test "$@" ;;
  stress) shift; cmd_stress "$@" ;;
  demo) shift; cmd_demo "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  publish) shift; cmd_publish "$@" ;;
  *) echo "usage: ./build.sh test|demo|bench|stress|publish" >&2; exit 2 ;;
esac
