"""Stage 1, text → checked program: source text, lexer, parser, syntax tree, printer, formatter, checker.

Nothing here evaluates anything; a lower stage never imports a higher one.
"""
