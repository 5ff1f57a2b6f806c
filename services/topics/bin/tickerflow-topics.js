#!/usr/bin/env node
import { requireNode } from '@tickerflow/common/require-node';

requireNode('tickerflow-topics');
await import('../dist/src/main.js');
