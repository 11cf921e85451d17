#!/usr/bin/env python3
"""Talks to running LabLink simulators through Debian's pyvisa-py, as a lab script would, and prints what they
answered as JSON. The expectations live in the vitest suite that runs this script (sim-conformance.test.ts).

Usage: pyvisa_conformance.py '<json list of checks>'
A check is {"resource": "TCPIP0::127.0.0.1::<port>::SOCKET", "kind": "scpi" | "waveform" | "bk-serial" | "controls",
            "measurement": "<query>"}  (measurement only for "scpi"; "controls" needs a VXI-11 resource).
"""

import json
import sys

import pyvisa


def open_instrument(rm, resource, termination):
    return rm.open_resource(
        resource, read_termination=termination, write_termination=termination, timeout=5000
    )


def scpi(rm, check):
    inst = open_instrument(rm, check["resource"], "\n")
    try:
        answers = {"idn": inst.query("*IDN?"), "measurement": inst.query(check["measurement"])}
        inst.write("BOGUS:HEADER")
        answers["error"] = inst.query("SYST:ERR?")
        return answers
    finally:
        inst.close()


def waveform(rm, check):
    inst = open_instrument(rm, check["resource"], "\n")
    try:
        inst.write(":WAV:SOUR CHAN1;:WAV:MODE NORM;:WAV:FORM BYTE")
        preamble = inst.query(":WAV:PRE?")
        data = inst.query_binary_values(":WAV:DATA?", datatype="B", container=list)
        return {"preamble": preamble, "data": data, "after": inst.query("*OPC?")}
    finally:
        inst.close()


def bk_serial(rm, check):
    # Every reply of the B&K serial protocol ends with an "OK" line; a set answers with that line alone.
    inst = open_instrument(rm, check["resource"], "\r")
    try:
        inst.write("VOLT050")
        set_reply = inst.read()
        gets = inst.query("GETS")
        gets_ok = inst.read()
        return {"set": set_reply, "gets": gets, "gets_ok": gets_ok, "gmax": inst.query("GMAX")}
    finally:
        inst.close()


def controls(rm, check):
    # Device clear, remote/local and an exclusive lock held against a second session (VXI-11 device_lock).
    inst = open_instrument(rm, check["resource"], "\n")
    other = open_instrument(rm, check["resource"], "\n")
    try:
        inst.clear()
        answers = {"after_clear": inst.query("*IDN?")}
        inst.lock_excl(timeout=1000)
        try:
            other.lock_excl(timeout=200)
            answers["second_lock"] = "granted"
        except pyvisa.errors.VisaIOError as error:
            answers["second_lock"] = error.abbreviation
        answers["while_locked"] = inst.query("*IDN?")
        inst.unlock()
        other.lock_excl(timeout=1000)
        answers["after_unlock"] = other.query("*IDN?")
        other.unlock()
        return answers
    finally:
        inst.close()
        other.close()


KINDS = {"scpi": scpi, "waveform": waveform, "bk-serial": bk_serial, "controls": controls}


def run(kinds):
    """Runs the checks of argv[1], each by its kind's function, and prints their results as a JSON list."""
    rm = pyvisa.ResourceManager("@py")
    results = []
    for check in json.loads(sys.argv[1]):
        try:
            results.append(kinds[check["kind"]](rm, check))
        except Exception as error:  # reported per check, so one failure does not hide the others
            results.append({"exception": f"{type(error).__name__}: {error}"})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    run(KINDS)
