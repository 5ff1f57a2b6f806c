// Writes src/api/v1alpha1.generated.ts from the TickerSubscription CRD
// (k8s/crds/tickersubscriptions.tickerflow.io.yaml): `npm run generate -w services/controller`.
// It runs the TypeScript generator from src directly (Node strips its types),
// so it works before, and without, a build of the controller.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot, generateFromRepo, generatedFile } from '../src/api/generate.ts';

const root = findRepoRoot();
writeFileSync(join(root, generatedFile), await generateFromRepo(root));
process.stdout.write(`wrote ${generatedFile}\n`);
