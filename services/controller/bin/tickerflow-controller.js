#!/usr/bin/env node
import { requireNode } from '@tickerflow/common/require-node';

requireNode('tickerflow-controller');
await import('../dist/src/main.js');
