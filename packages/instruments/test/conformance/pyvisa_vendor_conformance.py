#!/usr/bin/env python3
"""Talks to the simulators of the Siglent, Keysight, Rigol DM3068 and Korad models through Debian's pyvisa-py, as a
lab script would, and prints what they answered as JSON. The expectations live in the vitest suite that runs this
script (vendor-conformance.test.ts).

Usage: pyvisa_vendor_conformance.py '<json list of checks>'
A check is {"resource": "TCPIP0::127.0.0.1::<port>::SOCKET", "kind": <kind>, "queries": [<query>, ...]}:
  scpi            *IDN?, each query, then SYST:ERR? after an unknown header
  siglent-legacy  C1:WF? DAT2 after CHDR OFF, with C1:VDIV? and C1:OFST? to scale it
  siglent-scpi    :WAV:PRE? (WAVEDESC block) and :WAV:DATA? (signed bytes) of C1
  keysight        :WAV:PRE? and :WAV:DATA? (unsigned bytes) of CHAN1
  korad           bare fixed-width replies (the simulator's TCP side takes one command per line)
"""

# The same opening and runner as the simulator conformance script beside this one (Python finds it: the script's
# own directory is on its path).
from pyvisa_conformance import open_instrument, run


def scpi(rm, check):
    inst = open_instrument(rm, check["resource"], "\n")
    try:
        answers = {"idn": inst.query("*IDN?"), "answers": [inst.query(q) for q in check["queries"]]}
        inst.write("BOGUS:HEADER")
        answers["error"] = inst.query("SYST:ERR?")
        return answers
    finally:
        inst.close()


def siglent_legacy(rm, check):
    inst = open_instrument(rm, check["resource"], "\n")
    try:
        inst.write("CHDR OFF")
        vdiv = inst.query("C1:VDIV?")
        ofst = inst.query("C1:OFST?")
        inst.write("C1:WF? DAT2")
        # A binary block behind a text header: read by count, never to a terminator (the bytes may hold 0x0A).
        head = b""
        while not head.endswith(b"#"):
            head += inst.read_bytes(1)
        digits = int(inst.read_bytes(1))
        length = int(inst.read_bytes(digits))
        block = inst.read_bytes(length)
        trailer = inst.read_bytes(2)
        codes = [b - 256 if b > 127 else b for b in block]
        return {"head": head[:-1].decode("latin1"), "trailer": trailer.decode("latin1"), "vdiv": vdiv, "ofst": ofst, "codes": codes}
    finally:
        inst.close()


def siglent_scpi(rm, check):
    inst = open_instrument(rm, check["resource"], "\n")
    try:
        inst.write(":WAV:SOUR C1")
        desc = inst.query_binary_values(":WAV:PRE?", datatype="B", container=list)
        codes = inst.query_binary_values(":WAV:DATA?", datatype="b", container=list)
        return {"desc": desc, "codes": codes, "after": inst.query("*OPC?")}
    finally:
        inst.close()


def keysight(rm, check):
    inst = open_instrument(rm, check["resource"], "\n")
    try:
        inst.write(":WAV:SOUR CHAN1")
        inst.write(":WAV:FORM BYTE")
        preamble = inst.query(":WAV:PRE?")
        data = inst.query_binary_values(":WAV:DATA?", datatype="B", container=list)
        return {"preamble": preamble, "data": data, "after": inst.query("*OPC?")}
    finally:
        inst.close()


def korad(rm, check):
    inst = rm.open_resource(check["resource"], write_termination="\n", timeout=5000)
    try:
        inst.write("VSET1:12.34")
        inst.write("ISET1:1.5")
        inst.write("OUT1")
        answers = {}
        for query, length in (("VSET1?", 5), ("ISET1?", 5), ("VOUT1?", 5), ("IOUT1?", 5)):
            inst.write(query)
            answers[query] = inst.read_bytes(length).decode("latin1")
        inst.write("STATUS?")
        answers["STATUS?"] = inst.read_bytes(1)[0]
        inst.write("OUT0")
        return answers
    finally:
        inst.close()


KINDS = {
    "scpi": scpi,
    "siglent-legacy": siglent_legacy,
    "siglent-scpi": siglent_scpi,
    "keysight": keysight,
    "korad": korad,
}


if __name__ == "__main__":
    run(KINDS)
