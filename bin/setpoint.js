#!/usr/bin/env node
import '../dist/setpoint.mjs';
