"""`nnparity adapter init`: a draft adapter file for a library nnparity does not know yet.

The library's source is read as text (Python's `ast`), never imported or run: it may be
anyone's code. Each class is matched to the op whose math it computes, by its name, and each
of its arguments and attributes to that op's names, by tables of synonyms (catalogue.py); what
its code shows is read too: the shapes __init__ creates its weights with (the layout), the
gradients backward leaves in attributes, the running statistics forward keeps, the eps under
a sqrt, the offset under a log, a dropout that does not rescale. What it cannot decide is
written commented out, with a TODO saying why; the rest is loaded by nnparity's own adapter
loader before it is handed over. docs/adapter-init.md is the user's page.

    source.py     the files, parsed; the package; the folders its imports need
    facts.py      what one class's code says
    catalogue.py  names -> roles -> the twin's expressions (data, not branches)
    twins.py      the twins as the registry declares them
    match.py      one class -> its [[op]] entries
    mapping.py    one class onto one twin
    syntax.py     small readings of the syntax tree
    habits.py     the habits of a class's math (eps, log offsets, dropout's draw, ...)
    draft.py      the library -> the draft, checked by the loader
    results.py    the draft and its entries
    render.py     the draft as TOML
    cli.py        the sub-command

The entry point is `draft.draft_adapter(path) -> Draft`; `render.render(draft)` is the file; this
package's __init__ imports nothing, so that building the CLI's parser stays cheap.
"""
