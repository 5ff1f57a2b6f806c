# The verbs a person types. Each is a thin alias for an npm script or harness step.
.PHONY: build test demo bench lint harness clean

build:
	bash -c 'source scripts/node-env.sh && npm ci --no-audit --no-fund && npx tsc -b'

test:
	npm test

demo:
	npm start

bench:
	npm run bench

lint:
	bash -c 'source scripts/node-env.sh && npx tsc -b && npx eslint .'

harness:
	bash scripts/harness/install.sh

clean:
	bash -c 'source scripts/node-env.sh && npx tsc -b --clean'
	rm -rf .harness artifacts
