# Shared by every part of meldkluis.
language-name = English
product-name = meldkluis
days = { $count ->
    [one] { $count } day
   *[other] { $count } days
}
