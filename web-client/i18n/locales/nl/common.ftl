# Shared by every part of meldkluis.
language-name = Nederlands
product-name = meldkluis
days = { $count ->
    [one] { $count } dag
   *[other] { $count } dagen
}
