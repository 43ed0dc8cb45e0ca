"""Property listings: the agency's inventory of buildings, land and homes, their spaces and price history."""
