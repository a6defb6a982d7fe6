#!/usr/bin/env node
import '../dist/bundle/setpoint.mjs';
