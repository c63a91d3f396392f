"""Reading the Project CodeNet layout into typed tables, with every unusable input accounted for."""
