"""Errors of the system in Chinese: what a clerk reads never carries the system's English text
(``Input/output error``, ``Expecting value``), only a Chinese description and the code for the administrator."""

from __future__ import annotations

import errno
import json
import os
import re

import pytest

from lzdocs.errors import ConfigError, describe_os_error, describe_read_error, from_os_error

LATIN_WORDS = re.compile(r"[A-Za-z]{3,}")


def english(text: str) -> list[str]:
    """The Latin words of ``text`` other than the error codes (ENOSPC, WinError) and paths."""
    return [w for w in LATIN_WORDS.findall(text) if not (w.isupper() or w == "WinError")]


def test_every_system_error_is_described_in_chinese_with_its_code():
    for code, name in sorted(errno.errorcode.items()):
        said = describe_os_error(OSError(code, "English words from the system"))
        assert said.endswith(f"（{name}）") and english(said) == [], said


def test_the_errors_a_clerk_meets_are_named_and_the_rest_are_a_system_error():
    assert describe_os_error(OSError(errno.EIO, "Input/output error")) == "磁盘或网络读写错误（EIO）"
    assert describe_os_error(OSError(errno.ENOSPC, "No space left on device")) == "磁盘空间不足（ENOSPC）"
    assert describe_os_error(OSError(errno.ECHILD, "No child processes")) == "系统错误（ECHILD）"
    network_gone = OSError(errno.ENOENT, "The network path was not found")
    network_gone.winerror = 53
    assert describe_os_error(network_gone) == "网络共享不可用（ENOENT）"
    assert describe_os_error(OSError("cannot identify image file")) == "系统错误（OSError：cannot identify image file）"
    assert describe_os_error(OSError([1], "odd")).startswith("系统错误（OSError")  # a code that is not a number


def test_a_host_that_cannot_be_found_is_said_so(tmp_path):
    import socket

    from lzdocs.web import check_port

    with pytest.raises(ConfigError) as info:
        check_port("no.such.host.invalid", 8800)
    assert str(info.value).startswith("无法在地址 no.such.host.invalid:8800 上提供页面：找不到这个地址，"
                                      "主机名可能写错了")
    assert english(info.value.message.replace("no.such.host.invalid", "").replace("gaierror", "")) == []
    unknown = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    assert describe_os_error(unknown).startswith("找不到这个地址")


def test_a_file_error_with_no_words_of_its_own_says_the_systems_error_in_chinese(tmp_path):
    said = str(from_os_error(OSError(errno.EIO, "Input/output error", str(tmp_path / "a.docx"))))
    assert said == (f"读写“{tmp_path / 'a.docx'}”时出错：磁盘或网络读写错误（EIO）；"
                    "请检查磁盘、权限和网络共享是否正常后重试")
    timed_out = str(from_os_error(OSError(errno.ETIMEDOUT, "Connection timed out")))
    assert timed_out.startswith("读写文件时出错：连接超时（ETIMEDOUT）")


def test_a_damaged_file_of_ours_says_where_its_content_breaks(tmp_path):
    with pytest.raises(ValueError) as info:
        json.loads("{不是 JSON")
    assert describe_read_error(info.value) == "内容格式已损坏（第 1 行第 2 列起）"
    with pytest.raises(UnicodeDecodeError) as info:
        b"ok\xff".decode("utf-8")
    assert describe_read_error(info.value) == "内容不是 UTF-8 编码的文字（第 3 个字节起）"


def test_a_damaged_users_file_says_why_in_chinese(tmp_path):
    from lzdocs.web.auth import Users

    users = Users(tmp_path)
    users.path.parent.mkdir(parents=True, exist_ok=True)
    users.path.write_text("{不是 JSON", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        users.names()
    assert str(info.value).startswith(f"用户文件 {users.path} 无法读取：内容格式已损坏（第 1 行第 2 列起）")
    assert english(info.value.message.replace(str(users.path), "")) == []  # the hint names a command


def test_a_document_that_could_not_be_put_in_place_says_why_in_chinese(tmp_path):
    from lzdocs.documents.numbering import DurableRenames
    from lzdocs.errors import LzdocsError

    renames = DurableRenames()
    renames.submit(tmp_path / "内工大纪建〔2026〕1号.part.docx", tmp_path / "内工大纪建〔2026〕1号.docx")
    with pytest.raises(LzdocsError) as info:
        renames.close()
    assert info.value.message.startswith("文书已登记，但文件未能写入磁盘：找不到“")
    assert english(info.value.message.replace(str(tmp_path), "").replace(".part.docx", "")) == []


def test_a_file_where_a_folder_is_made_is_named_and_an_existing_name_otherwise_is_said_as_it_is(tmp_path):
    blocker = tmp_path / "作废"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(FileExistsError) as info:
        blocker.mkdir(parents=True, exist_ok=True)
    assert str(from_os_error(info.value)) == (f"“{blocker}”是一个文件，但这里需要同名的文件夹；"
                                              "请把这个文件改名或移走，再重试")
    folder = tmp_path / "文件夹"
    folder.mkdir()
    with pytest.raises(FileExistsError) as info:
        folder.mkdir()
    assert str(from_os_error(info.value)).startswith(f"读写“{folder}”时出错：同名的文件已经存在（EEXIST）")


def test_a_link_or_rename_blocked_by_a_file_above_its_new_name_names_that_file_not_the_old_name(tmp_path):
    old = tmp_path / "marker"
    old.write_text("", encoding="utf-8")
    blocker = tmp_path / "收文" / "党政办公室"
    blocker.parent.mkdir()
    blocker.write_text("a clerk's file", encoding="utf-8")
    for move in (os.link, os.rename):
        with pytest.raises(NotADirectoryError) as info:
            move(old, blocker / "党政办公室.docx")
        assert str(from_os_error(info.value)).startswith(f"“{blocker}”是一个文件，但这里需要同名的文件夹")
    with pytest.raises(NotADirectoryError) as info:
        os.listdir(old)
    assert str(from_os_error(info.value)).startswith(f"“{old}”是一个文件，但这里需要同名的文件夹")
