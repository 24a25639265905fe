"""The package's layering, read from its source: no module imports from a higher layer (lazy imports
included), no private name crosses a module, no name is imported through a module that does not
define it, and there is no import cycle (`foleybook.layering`)."""
from foleybook.layering import check_layers, module_files, layer_of, LAYERS


def test_layers_hold():
    found = check_layers()
    assert not found, f"{len(found)} layering violation(s):\n" + '\n'.join(map(str, found))


def test_every_module_has_a_layer():
    mods = [m for m in module_files() if m != 'foleybook']
    assert len(mods) > 50
    top = {m.split('.')[1] for m in mods}
    named = {t for _, tops in LAYERS for t in tops}
    # every subpackage is a layer of its own; only single modules are foundations
    assert all(t in named or (module_files()[f'foleybook.{t}'].name != '__init__.py') for t in top), sorted(top - named)
    assert layer_of('foleybook.cli') == len(LAYERS) - 1
