"""Names our writers put into a form so that our readers can find each field again."""

#: Word: the bookmark in a field's label cell (or a table field's title) is cl_<field id>.
BOOKMARK_PREFIX = "cl_"
#: Excel: the workbook-scoped defined name of a field's input cell or table rows.
NAME_PREFIX = "CL_"
