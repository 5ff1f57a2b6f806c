#!/usr/bin/env node
import '../dist/src/demo.js';
