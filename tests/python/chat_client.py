"""python-socketio (the stock client, Debian's python3-socketio) against a running omegachatd.

Run by tests/api/python_client.rs with OMEGACHAT_URL set; exits non-zero on the first failure.
"""

import os
import queue
import sys
import uuid

import requests
import socketio

BASE = os.environ["OMEGACHAT_URL"]
PASSWORD = "python-client-password"


def account(name):
    name = f"{name}{uuid.uuid4().hex[:6]}"
    r = requests.post(f"{BASE}/api/auth/register",
                      json={"username": name, "email": f"{name}@example.org", "password": PASSWORD})
    assert r.status_code == 201, r.text
    user_id = r.json()["id"]
    r = requests.post(f"{BASE}/api/auth/login", json={"login": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return user_id, r.json()["access_token"]


def connect(token, transport):
    client = socketio.Client(reconnection=False)
    received = queue.Queue()
    client.on("receive_message", received.put)
    client.connect(BASE, auth={"token": token}, transports=[transport], wait_timeout=10)
    return client, received


def main():
    ann_id, ann_token = account("ann")
    ben_id, ben_token = account("ben")
    r = requests.post(f"{BASE}/api/conversations/direct", json={"user_id": ben_id},
                      headers={"Authorization": f"Bearer {ann_token}"})
    assert r.status_code == 200, r.text
    conversation = r.json()["conversation_id"]

    for transport in ("websocket", "polling"):
        ann, _ = connect(ann_token, transport)
        ben, ben_inbox = connect(ben_token, transport)
        client_msg_id = uuid.uuid4().hex
        payload = {"conversation_id": conversation, "client_msg_id": client_msg_id,
                   "content": f"hello over {transport}"}
        ack = ann.call("send_message", payload, timeout=10)
        assert ack["ok"] is True, ack
        assert ack["message"]["content"] == f"hello over {transport}", ack
        delivered = ben_inbox.get(timeout=10)
        assert delivered["message_id"] == ack["message"]["message_id"], delivered
        again = ann.call("send_message", payload, timeout=10)
        assert again["duplicate"] is True and again["message"]["message_id"] == ack["message"]["message_id"], again
        bad = ann.call("send_message", {"conversation_id": conversation}, timeout=10)
        assert bad["ok"] is False and bad["error"]["code"], bad
        ann.disconnect()
        ben.disconnect()
        print(f"ok: chat over {transport}")

    refused = socketio.Client(reconnection=False)
    reasons = []
    refused.on("connect_error", reasons.append)
    try:
        refused.connect(BASE, auth={"token": "not-a-token"}, transports=["websocket"], wait_timeout=3)
    except socketio.exceptions.ConnectionError:
        pass
    else:
        sys.exit("a bad token was accepted")
    # The server's connect_error says why; python-socketio hands it to the handler.
    assert reasons and "token" in str(reasons[0]).lower(), reasons
    print("ok: a bad token is refused with a reason")

if __name__ == "__main__":
    main()
