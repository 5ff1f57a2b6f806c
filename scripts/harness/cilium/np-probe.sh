#!/bin/bash
# usage: np-probe.sh URL  -> prints OK <body> or FAIL <error>, 3 s timeout
exec "${K:-kubectl}" -n np-test exec client -- node -e "
fetch(process.argv[1], {signal: AbortSignal.timeout(3000)}).then(r=>r.text()).then(t=>console.log('OK', t.trim()), e=>console.log('FAIL', e.name, e.cause?.code ?? e.message))" "$1"
