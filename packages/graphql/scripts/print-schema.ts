// Writes schema.graphql, the printed contract the SDK is generated from. CI regenerates it and
// fails when the committed copy differs.
import { writeFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { sortedSchema } from '../src/schema.ts';

const target = new URL('../schema.graphql', import.meta.url);
writeFileSync(target, `${printSchema(sortedSchema)}\n`);
