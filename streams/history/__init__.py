"""Reading Spotify exports: files, folders and zips -> typed play records.

Nothing in this package touches the database; `streams.services.history_import`
stores what it produces. Layers, from the outside in:

* `readers`: paths, folders, zips and stored uploads -> named JSON documents, with
  the zip-bomb and size guards (member names are only ever labels, never paths);
* `formats`: which export file a JSON document is, decided from its keys;
* `parsing`: each row -> a `PlayRecord` or a `SkipReason`, or `ImportRejected`
  naming the file and the first bad row;
* `identity`: the dedupe key that makes a play the same play across exports.
"""
