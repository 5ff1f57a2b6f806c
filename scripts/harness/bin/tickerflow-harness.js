#!/usr/bin/env node
import '../dist/src/run-tests.js';
