#!/usr/bin/env node
/**
 * Writes the WordNet noun hierarchy above a list of ImageNet wnids as a small JSON map
 * (wnid -> first hypernym, and wnid -> lemma), so the client can group ImageNet classes
 * by shared ancestors without shipping WordNet. Reads WordNet 3.0's data.noun (Debian:
 * `apt-get install wordnet-base`, /usr/share/wordnet/data.noun); a wnid is "n" + the
 * synset's 8-digit offset. Synsets with several hypernyms keep the first, as listed.
 *
 * usage: node scripts/wordnet-parents.mjs WNID_LIST OUT_JSON [DATA_NOUN]
 */
import { readFileSync, writeFileSync } from 'node:fs';

const [listFile, outFile, dataNoun = '/usr/share/wordnet/data.noun'] = process.argv.slice(2);
if (!listFile || !outFile) {
  console.error('usage: node scripts/wordnet-parents.mjs WNID_LIST OUT_JSON [DATA_NOUN]');
  process.exit(2);
}

/** offset -> { name, hypernym offset or undefined } from data.noun's synset lines. */
const synsets = new Map();
for (const line of readFileSync(dataNoun, 'utf8').split('\n')) {
  if (!line || line.startsWith(' ')) continue; // licence header lines start with spaces
  const fields = line.split(' | ')[0].split(' ');
  const words = parseInt(fields[3], 16);
  const name = fields[4];
  let at = 4 + 2 * words;
  const pointers = parseInt(fields[at], 10);
  let hypernym;
  for (let p = 0; p < pointers; p++, at += 4) {
    const symbol = fields[at + 1];
    if (hypernym === undefined && (symbol === '@' || symbol === '@i')) hypernym = fields[at + 2];
  }
  synsets.set(fields[0], { name, hypernym });
}

const wnids = readFileSync(listFile, 'utf8').split(/\s+/).filter(Boolean);
const parent = {};
const names = {};
for (const wnid of wnids) {
  let offset = wnid.slice(1);
  if (!synsets.has(offset)) throw new Error(`${listFile}: ${wnid} is not a WordNet 3.0 noun synset`);
  while (offset !== undefined && names[`n${offset}`] === undefined) {
    const s = synsets.get(offset);
    names[`n${offset}`] = s.name;
    if (s.hypernym !== undefined) parent[`n${offset}`] = `n${s.hypernym}`;
    offset = s.hypernym;
  }
}
writeFileSync(outFile, JSON.stringify({ source: 'WordNet 3.0 data.noun (first hypernym)', parent, names }, null, 1) + '\n');
console.log(`${outFile}: ${Object.keys(names).length} synsets above ${wnids.length} wnids`);
