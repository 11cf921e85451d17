#!/usr/bin/env python3
"""Drives a simulated Keithley 2400-series SourceMeter through Debian's pyvisa-py the way a lab script would: source
a voltage into the device under test, read :READ?'s five elements, then lower the current compliance until the
output is clamped, then source a current. Prints what the instrument answered as JSON; the expectations live in
the vitest suite that runs this script (smu-conformance.test.ts).

Usage: pyvisa_smu_conformance.py TCPIP0::127.0.0.1::<port>::SOCKET
"""

import json
import sys

import pyvisa


def reading(inst):
    voltage, current, resistance, seconds, status = (float(x) for x in inst.query(":READ?").split(","))
    return {"voltage": voltage, "current": current, "resistance": resistance, "time": seconds, "status": int(status)}


def main():
    rm = pyvisa.ResourceManager("@py")
    inst = rm.open_resource(sys.argv[1], read_termination="\n", write_termination="\n", timeout=5000)
    try:
        out = {"idn": inst.query("*IDN?")}
        inst.write("*RST")
        inst.write(":SIM:LOAD 1000")
        inst.write(":SOUR:FUNC VOLT")
        inst.write(":SOUR:VOLT:RANG 20")
        inst.write(":SOUR:VOLT:LEV 5")
        inst.write(":SENS:FUNC 'CURR'")
        inst.write(":SENS:CURR:PROT 0.01")
        inst.write(":OUTP ON")
        out["function"] = inst.query(":SOUR:FUNC?")
        out["level"] = inst.query(":SOUR:VOLT:LEV?")
        out["compliance"] = inst.query(":SENS:CURR:PROT?")
        out["raw"] = inst.query(":READ?")
        out["free"] = reading(inst)
        inst.write(":SENS:CURR:PROT 0.001")
        out["clamped"] = reading(inst)
        inst.write(":SOUR:FUNC CURR")
        inst.write(":SOUR:CURR:LEV 0.002")
        inst.write(":SENS:VOLT:PROT 21")
        out["current_source"] = reading(inst)
        inst.write(":OUTP OFF")
        out["output"] = inst.query(":OUTP?")
        out["error"] = inst.query(":SYST:ERR?")
        print(json.dumps(out))
    finally:
        inst.close()


main()
