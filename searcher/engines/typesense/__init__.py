"""The Typesense engine (experimental): an index in a collection of a
Typesense cluster, addressed ``typesense://HOST:PORT[,HOST:PORT…]/COLLECTION``
(see address), its API key from ``TYPESENSE_API_KEY``. The only package of
revsearch that imports ``typesense``; the modules are imported where they are
used, so that ``revsearch cluster`` needs only the server binary (see cluster)."""
