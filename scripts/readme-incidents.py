#!/usr/bin/env python3
# usage: scripts/readme-incidents.py . (from the repository root)
# Regenerates the README's incident tables from scenarios/*/scenario.yaml.
import glob, os, re, sys, yaml
root = sys.argv[1]
rows = []
for f in sorted(glob.glob(os.path.join(root, 'scenarios/*/scenario.yaml'))):
    d = yaml.safe_load(open(f))
    fam = ''
    rows.append((d.get('level', 1), d['id'], d['title'], d.get('cause', ''), d['workload']['kind'], d.get('aliases') or [], '; '.join(a['text'] for a in d.get('approaches') or [])))
rows.sort()
t1 = '| id | level | title (what the pager says) |\n|---|---|---|\n' + ''.join(f'| {i} | {l} | {t} |\n' for l, i, t, c, k, a, ap in rows)
t2 = '| id | was | kind | what breaks | accepted fixes |\n|---|---|---|---|---|\n' + ''.join(f"| {i} | {', '.join(a)} | {k} | {c.replace('|', '/')} | {ap.replace('|', '/')} |\n" for l, i, t, c, k, a, ap in rows)
p = os.path.join(root, 'README.md')
s = open(p).read()
s = re.sub(r'\| id \| level \| (the page|title \(what the pager says\)) \|\n\|---\|---\|---\|\n(\|.*\|\n)+', t1, s, count=1)
s = re.sub(r'\| id \| was \| (what breaks \| accepted fixes|kind \| what breaks|kind \| what breaks \| accepted fixes) \|\n\|---\|---\|---\|(---\|)*\n(\|.*\|\n)+', t2, s, count=1)
open(p, 'w').write(s)
print(len(rows), 'incidents')
