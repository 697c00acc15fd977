"""closedloop"""
