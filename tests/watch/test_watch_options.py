"""Choosing polling or native events: network mounts, settings and flags."""

from pathlib import Path

import pytest

from lzdocs.errors import ConfigError
from lzdocs.watch.mounts import Placement, is_network_fs, mount_of, parse_mountinfo, parse_mounts
from lzdocs.watch.service import NATIVE, POLLING, resolve_options
from lzdocs.workspace import Settings

MOUNTINFO = """\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
40 27 0:50 / /srv/share rw,relatime shared:5 - cifs //files/纪委 rw,vers=3.1.1
41 40 0:51 / /srv/share/local rw,relatime - ext4 /dev/vdb rw
42 27 0:52 / /mnt/nfs rw - nfs4 files:/export rw
43 27 0:53 / /mnt/my\\040box rw - fuse.sshfs me@host:/ rw
"""


def test_mountinfo_gives_the_file_system_of_the_innermost_mount():
    mounts = parse_mountinfo(MOUNTINFO)
    assert mount_of("/srv/share/收件", mounts).fstype == "cifs"
    assert mount_of("/srv/share/local/x", mounts).fstype == "ext4"
    assert mount_of("/srv/shared", mounts).fstype == "ext4"  # a prefix of the name is not a parent folder
    assert mount_of("/mnt/nfs", mounts).fstype == "nfs4"
    assert mount_of("/mnt/my box/inbox", mounts).fstype == "fuse.sshfs"


def test_proc_mounts_is_understood_too():
    mounts = parse_mounts("/dev/vda / ext4 rw 0 0\n//srv/x /mnt/x smb3 rw 0 0\n")
    assert mount_of("/mnt/x/inbox", mounts).fstype == "smb3"


@pytest.mark.parametrize("fstype,network", [("cifs", True), ("smb3", True), ("smbfs", True), ("nfs", True),
                                            ("nfs4", True), ("9p", True), ("fuse.rclone", True), ("ext4", False),
                                            ("xfs", False), ("tmpfs", False), ("fuseblk", False)])
def test_network_file_systems_are_recognised(fstype, network):
    assert is_network_fs(fstype) is network


def _settings(**watch):
    return Settings({"watch": watch})


def test_auto_mode_polls_a_network_share_and_uses_events_on_a_local_disk(tmp_path):
    share = lambda p: Placement(True, "网络文件系统 cifs")
    local = lambda p: Placement(False, "本地文件系统 ext4")
    assert resolve_options(_settings(), tmp_path, where=share).mode == POLLING
    assert resolve_options(_settings(), tmp_path, where=local).mode == NATIVE
    assert resolve_options(_settings(), tmp_path / "missing", where=local).mode == POLLING


def test_flags_win_over_settings_which_win_over_detection(tmp_path):
    local = lambda p: Placement(False, "本地")
    opts = resolve_options(_settings(mode="polling", interval=10, stable=3), tmp_path, where=local)
    assert (opts.mode, opts.interval, opts.stable, opts.rescan) == (POLLING, 10, 3, 10)
    opts = resolve_options(_settings(mode="polling", interval=10), tmp_path, mode=NATIVE, interval=2, stable=1,
                           where=local)
    assert (opts.mode, opts.interval, opts.stable, opts.rescan) == (NATIVE, 2, 1, 60)
    assert resolve_options(_settings(), tmp_path, where=local).stable == 5


@pytest.mark.parametrize("watch", [{"mode": "sometimes"}, {"interval": 0}, {"stable": "abc"}, {"interval": -5}])
def test_bad_watch_settings_are_reported_in_chinese(tmp_path, watch):
    with pytest.raises(ConfigError) as info:
        resolve_options(_settings(**watch), tmp_path, where=lambda p: Placement(False, ""))
    assert "lzdocs.toml" in str(info.value) or "秒数" in str(info.value)


def test_this_machine_has_a_placement_for_its_temp_folder(tmp_path):
    from lzdocs.watch.mounts import placement

    where = placement(Path(tmp_path) / "not-yet")
    assert isinstance(where.network, bool) and where.detail
