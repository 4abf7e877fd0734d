#!/usr/bin/env python3
"""Writes the hand-made seeds of every fuzz target into corpus/<target>/seed-*.

The seeds are real-looking inputs of each format (formats.md), so that fuzzing starts from
valid shapes and the corpus replay test checks them from the first run. Inputs that fuzzing
runs keep are added beside them by `cargo fuzz` (scripts/fuzz.sh)."""
import base64, hashlib, json, os, struct

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "schemas", "tests", "fixtures")

def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(data)

lines = open(os.path.join(FIXTURES, "formats-md.txt")).read().splitlines()
dicts = open(os.path.join(FIXTURES, "dict-records.ndjson")).read().splitlines()
more_lines = [
    "!LRR:003,1,CID_1131,ff",
    "!LRR:000,1,CID_1406,ff",
    "!LRR:012,1,CID_1602,ff",
    "!LRR:008,1,CID_1301,ff",
    "!LRR:001,1,ARM_AWAY",
    "!RFX:0123456,00000000000000000000",
    "!LRR:004,1,DSC_1123",
    "!CRC:0000",
    "[00000000000000000A--],015,[f70000051015000008020000000000],\"FAULT 15 KITCHEN WINDOW\"",
]
mode_events = [
    '{"homeId":173,"timestamp":"2016-01-04T23:26:09.521Z","eventType":"power-status","eventData":{"power":"off"},"originDeviceId":260}',
    '{"homeId":12,"timestamp":"2026-03-08T06:59:59Z","eventType":"heartbeat","eventData":{"battery":87,"rssi":-61},"originDeviceId":9}',
]

for i, line in enumerate(lines + more_lines):
    write("alarmdecoder_line", f"{i:02}", line)
    write("decode_record", f"line-{i:02}", line + "\n")
for i, d in enumerate(dicts + mode_events):
    write("json_shapes", f"{i:02}", d)
    write("decode_record", f"json-{i:02}", d)

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)

def field(number, wire, payload):
    key = varint(number << 3 | wire)
    if wire == 0:
        return key + varint(payload)
    return key + varint(len(payload)) + payload

def kpl(keys, records):
    """A KPL aggregated record: magic, AggregatedRecord protobuf, MD5 of the protobuf."""
    body = b"".join(field(1, 2, k.encode()) for k in keys)
    for key_index, data in records:
        record = field(1, 0, key_index) + field(3, 2, data)
        body += field(3, 2, record)
    return b"\xf3\x89\x9a\xc2" + body + hashlib.md5(body).digest()

agg = [
    kpl(["site-0001"], [(0, lines[0].encode()), (0, lines[8].encode())]),
    kpl(["site-0002", "site-0003"], [(0, dicts[0].encode()), (1, mode_events[0].encode()), (1, b"")]),
    kpl(["k"], [(0, b"!LRR:001,1,CID_3401,ff\n")]),
]
for i, data in enumerate(agg):
    write("kpl", f"{i:02}", data)
    write("decode_record", f"kpl-{i:02}", data)
write("kpl", "not-aggregated", lines[0])

def msgpack_envelope(records):
    out = bytearray()
    n = len(records) + 1
    out += bytes([0x90 | n]) if n < 16 else b"\xdc" + struct.pack(">H", n)
    out += b"\xa31.0"
    for r in records:
        out += (b"\xc4" + bytes([len(r)]) if len(r) < 256 else b"\xc5" + struct.pack(">H", len(r))) + r
    return bytes(out)

envelopes = [
    msgpack_envelope([b"\x01\x02\x03", b"temperature=21.5"]),
    msgpack_envelope([mode_events[1].encode()]),
    msgpack_envelope([bytes(range(256)) * 2]),
    b"\x81\xa4temp\xcb\x40\x35\x80\x00\x00\x00\x00\x00",
]
for i, data in enumerate(envelopes):
    write("msgpack", f"{i:02}", data)
    write("decode_record", f"msgpack-{i:02}", data)

notification = open(os.path.join(FIXTURES, "s3-notification.json")).read()
write("camera", "notification", notification)
write("camera", "key-plus", "patrolcams/front+porch/2024-01-02/Hour-13/record/20240102_134502.mp4")
write("camera", "key-escapes", "patrolcams/back%20yard%2Fgate/2024-13-40/Hour-99/snap/%E2%82%AC%zz.jpg")
write("decode_record", "camera", notification)

for i, text in enumerate([
    "2017-01-17T23:41:02.123456",
    "2026-03-08T02:30:00",
    "2026-11-01T01:30:00.5",
    "2016-01-04T23:26:09.521Z",
    "2024-02-29T12:00:00+05:30",
    "1970-01-01T00:00:00",
]):
    write("timestamp", f"{i:02}", text)

def answer(records, extra):
    wire = []
    for i, (data, key, arrival) in enumerate(records):
        r = {"SequenceNumber": f"4959033827149025660855969253836157109592157598913658{8900 + i}",
             "Data": base64.b64encode(data).decode()}
        if key is not None:
            r["PartitionKey"] = key
        if arrival is not None:
            r["ApproximateArrivalTimestamp"] = arrival
        r["EncryptionType"] = "NONE"
        wire.append(r)
    return json.dumps({"Records": wire, **extra})

for i, body in enumerate([
    answer([(lines[0].encode(), "site-0007", 1764541851.123), (lines[8].encode(), "café \"7\"", 1764541852)],
           {"NextShardIterator": "AAAAAAAAAAH+/x==", "MillisBehindLatest": 2500}),
    answer([], {"NextShardIterator": "AAAA", "MillisBehindLatest": 0}),
    answer([(agg[0], "site-0001", 1.764541851e9)],
           {"MillisBehindLatest": 0, "ChildShards": [{"ShardId": "shardId-000000000004",
            "ParentShards": ["shardId-000000000001"],
            "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": "1"}}]}),
    '{"ChildShards":null,"MillisBehindLatest":0,"NextShardIterator":"AAAA","Records":[{"ApproximateArrivalTimestamp":1796075080.177,"Data":"eyJzaXRlIjogImhvbWUtMDAyMiJ9","EncryptionType":"NONE","PartitionKey":"home-0022","SequenceNumber":"49680718310838100366951283386652565902625958383195258898"}]}',
    '{"Records":[{"SequenceNumber":"1","Data":"AA=="},{"SequenceNumber":"2","Data":"*"},{"SequenceNumber":"3","Data":"AQ=="}]}',
    '{"Records":[{"SequenceNumber":"1","Data":"A\\u0041==","PartitionKey":"\\ud83d\\ude00"},{"Data":"AQ==","SequenceNumber":"2","ApproximateArrivalTimestamp":null}],"MillisBehindLatest":1}',
    '{"Records":[{"SequenceNumber":"1","Data":"AA==","ApproximateArrivalTimestamp":"x"}]}',
    '{"Records":[{"SequenceNumber":"1","Data":"AA=="}],"Records":[]}',
]):
    # The first byte is the chunk size the answer arrives in.
    for chunk in (0, 1, 7):
        write("get_records", f"{i:02}-chunk{chunk}", bytes([chunk]) + (body.encode() if isinstance(body, str) else body))
