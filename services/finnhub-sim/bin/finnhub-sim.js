#!/usr/bin/env node
import { requireNode } from '@tickerflow/common/require-node';

requireNode('finnhub-sim');
await import('../dist/src/main.js');
