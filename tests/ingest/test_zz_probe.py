import signal
from tests.conftest import cli_env, run_cli, run_process
from tests.ingest.invariant import kept, sha

def test_probe(workspace):
    data = b"user bytes " * 50
    (workspace.inbox / "intent.json").write_bytes(data)
    killed = run_process("-w", workspace.root, "ingest", env=cli_env(LZDOCS_CRASH_AT="claimed"))
    assert killed.returncode == -signal.SIGKILL
    run_cli("-w", workspace.root, "ingest")
    print("KEPT", kept(workspace).get(sha(data)))
