"""The ModemManager forwarder of docs/phones.md, run as written against a fake ``mmcli`` and the
real hook on a live server: what it posts is signed and stored, and it deletes only what landed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from canary.phones.models import Contact, SmsGateway

DOCS = Path(__file__).resolve().parents[2] / "docs" / "phones.md"
KEY = "modem-forwarder-key"
SMS_PATH = "/org/freedesktop/ModemManager1/SMS/3"

FAKE_MMCLI = r"""#!{python}
import json, sys
from pathlib import Path
state = Path({state!r})
args = sys.argv[1:]
if "-L" in args:
    print(json.dumps({{"modem-list": ["/org/freedesktop/ModemManager1/Modem/0"]}}))
elif "--messaging-list-sms" in args:
    listed = [] if (state / "deleted").exists() else [{path!r}]
    print(json.dumps({{"modem.messaging.sms": listed}}))
elif "-s" in args:
    print(json.dumps({{"sms": {{
        "content": {{"number": "+8613712345678", "text": "您好，您的快递丢失了，我们双倍赔偿"}},
        "properties": {{"pdu-type": "deliver", "state": "received", "timestamp": "2026-12-07T08:15:03+08"}},
    }}}}))
elif any(a.startswith("--messaging-delete-sms=") for a in args):
    (state / "deleted").write_text(args[-1])
    print("{{}}")
else:
    sys.exit(f"unexpected mmcli call: {{args}}")
"""


def forwarder_script() -> str:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("**A Linux USB modem (ModemManager).**", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.mark.django_db(transaction=True)
def test_the_documented_modem_forwarder_delivers_a_signed_sms_once(live_server, settings, tmp_path):
    settings.SMSGATE_SIGNING_KEY = KEY
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    mmcli = bin_dir / "mmcli"
    mmcli.write_text(FAKE_MMCLI.format(python=sys.executable, state=str(tmp_path), path=SMS_PATH))
    mmcli.chmod(0o755)
    script = tmp_path / "forwarder.py"
    script.write_text(forwarder_script(), encoding="utf-8")
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "CANARY_SMSGATE_URL": f"{live_server.url}/hooks/smsgate/",
        "SMSGATE_SIGNING_KEY": KEY,
        "DEVICE_ID": "modem-usb-1",
        "SIM_SLOT": "1",
    }
    process = subprocess.Popen(
        [sys.executable, str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        pinged = SmsGateway.objects.filter(device_id="modem-usb-1", last_ping_at__isnull=False)
        while time.monotonic() < deadline and not ((tmp_path / "deleted").exists() and pinged.exists()):
            assert process.poll() is None, process.stdout.read().decode()
            time.sleep(0.2)
        assert (tmp_path / "deleted").read_text() == f"--messaging-delete-sms={SMS_PATH}"
    finally:
        process.kill()
        process.wait()
    contact = Contact.objects.get()
    assert (contact.provider, contact.kind, contact.from_number) == ("smsgate", "sms", "+8613712345678")
    assert contact.body == "您好，您的快递丢失了，我们双倍赔偿"
    assert json.loads(json.dumps(contact.raw))["smsgate"]["deviceId"] == "modem-usb-1"
    gateway = SmsGateway.objects.get(device_id="modem-usb-1")
    assert gateway.last_ping_at is not None  # it pinged on its first round
