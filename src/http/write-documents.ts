// `npm run docs:api`: writes the OpenAPI and AsyncAPI documents to docs/, as the server serves
// them, so that they can be read and reviewed without a server. A test checks they are current.

import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asyncApiDocument } from '../protocol/asyncapi.js';
import { openApiDocument, packageVersion } from './documents.js';

const docs = resolve(dirname(fileURLToPath(import.meta.url)), '../../docs');
writeFileSync(resolve(docs, 'openapi.json'), `${JSON.stringify(await openApiDocument(), null, 2)}\n`);
writeFileSync(resolve(docs, 'asyncapi.json'), `${JSON.stringify(asyncApiDocument(packageVersion()), null, 2)}\n`);
process.stdout.write(`wrote ${docs}/openapi.json and ${docs}/asyncapi.json\n`);
